"""The two-tower retrieval model: hashed inputs, the towers, the training task and post embedding."""
