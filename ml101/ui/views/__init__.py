"""One module per page's concept: its widgets and rendering, no algorithm (that lives in
ml101/<concept>/). A page script calls these in order."""
