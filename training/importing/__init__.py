"""Import a real interaction log (a generic CSV or MovieLens) into the product's tables and outbox.

`import_dataset` is the entry point; see `training.importing.importer` for the mapping file and
`training.importing.plan` for how users, items and interactions become accounts, posts and events.
"""

from training.importing.importer import ImportSummary, import_dataset, mapping_path
from training.importing.writer import ImportRefused

__all__ = ["ImportRefused", "ImportSummary", "import_dataset", "mapping_path"]
