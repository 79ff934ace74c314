"""The REST API, with its OpenAPI 3 schema, over the same services the pages use."""
