"""The Feast repository: entities, feature views with their push sources, the on-demand view and
the feature services. Definitions only (`feast apply` imports every module here)."""
