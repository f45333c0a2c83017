"""The ranked home feed and explore page as served: the pipelines (`ranking`) wired from settings, the page
server with its fallbacks (chronological feed, uncached explore), the last visibility check, impressions,
and the ML-ranked story tray. The ranking itself, its ranked-list cache and cursors live in `ranking`."""
