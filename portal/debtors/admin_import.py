# Admin for PortfolioImport (upload page with progress) is added by the import work.
