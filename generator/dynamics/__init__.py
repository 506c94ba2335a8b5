"""One module per planted behaviour; each takes numpy arrays for a shard and an explicit
generator, and returns numpy arrays."""
