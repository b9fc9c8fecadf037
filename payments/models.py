# Stripe PaymentIntents, webhook events and payment allocation arrive with the payments issue.
