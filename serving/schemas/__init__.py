"""Request and response bodies, named by role (PostCreate, PostPublic, ...)."""
