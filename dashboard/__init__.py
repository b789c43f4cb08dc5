"""UI building blocks shared by the pages: state keys, cached loaders, charts, widgets, shell."""
