"""supervisord's event system: rendering, listener pools, capture mode, ticks."""
