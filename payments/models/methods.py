from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .attempts import Method, Provider


class PortfolioPaymentMethod(models.Model):
    """An online way to pay offered to a portfolio's debtors: a provider and a method, in
    staff's order. A portfolio without any rows offers every method of the providers that
    are configured (Mercado Pago's PSE, cash and card first in Colombia, then Stripe's card)."""

    portfolio = models.ForeignKey(
        "debtors.Portfolio",
        on_delete=models.CASCADE,
        related_name="online_payment_methods",
        verbose_name=_("portfolio"),
    )
    provider = models.CharField(max_length=12, choices=Provider.choices, verbose_name=_("provider"))
    method = models.CharField(max_length=8, choices=Method.choices, verbose_name=_("method"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("online payment method")
        verbose_name_plural = _("online payment methods")
        ordering = ["portfolio", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "provider", "method"], name="portfolio_method_once"
            ),
            # Stripe here takes cards only; Mercado Pago takes all three.
            models.CheckConstraint(
                condition=~models.Q(provider="stripe") | models.Q(method="card"),
                name="stripe_takes_cards",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} · {self.get_method_display()}"
