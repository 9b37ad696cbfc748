"""The data layer: canonical records, readers, presets, cleaning and validation
(``store.ingest`` writes the records into the store)."""
