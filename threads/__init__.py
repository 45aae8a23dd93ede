"""Comment threads, pure (no Discord, no SQL): records, the tree, orders, the export formats."""
