"""The explorer's widgets: the hex map, the chain panel, the inspector, the palette of
virtual capabilities, the verdict panel and the legend."""
