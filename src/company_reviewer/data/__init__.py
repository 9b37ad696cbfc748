"""The data layer: canonical records, readers, presets, cleaning and ingestion."""
