"""The product's tables and services: accounts, graph, posts, media, stories, messages, the outbox.

Imports no ML package: everything above (features, candidates, ranking, training) reads what this
package writes, never the other way round.
"""
