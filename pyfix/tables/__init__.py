"""pyfix.tables: Postfix lookup tables (one interface for every map type)."""
