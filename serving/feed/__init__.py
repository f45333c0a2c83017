"""The ranked home feed and explore page as served: pipelines wired from settings, the ranked-list cache,
cursors, fallbacks (chronological feed, heuristic scorer, feature defaults, popular for two-tower),
impressions, and the ML-ranked story tray."""
