"""Everything that knows DynamoDB exists: the table definition, the PynamoDB base item,
opaque cursors and request accounting. Repositories build on this; domains never see it."""
