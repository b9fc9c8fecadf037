# Offer policies, quotes, proposals and agreements arrive with the agreements issue.
