"""The API's views, one module per area; each a thin layer over the service or selector its page uses."""
