// The checkout page's one script: mounts Stripe Elements and confirms the payment.
// Card data is typed into Stripe's own fields and goes to Stripe; this portal only ever
// receives Stripe's ids. Loaded as a static module under the page's CSP nonce.
//
// Two Elements, one confirm step:
// - "payment" (production): the Payment Element, confirmed in the browser with
//   stripe.confirmPayment (3-D Secure handled by Stripe.js, no redirect unless needed).
// - "card" (localstripe's Stripe.js stand-in, which has no Payment Element): the Card
//   Element; Stripe.js tokenises the card, our server confirms the intent with that token,
//   and stripe.confirmCardPayment finishes 3-D Secure if the bank asks for it.
// Either way the browser then opens the result page, which waits for the webhook.

const form = document.getElementById("checkout");
const errorBox = document.getElementById("card-error");
const button = document.getElementById("pay-button");
const config = form.dataset;
const stripe = window.Stripe(config.publishableKey, { locale: config.locale });

let elements;
let element;
if (config.element === "card") {
  elements = stripe.elements();
  element = elements.create("card");
} else {
  elements = stripe.elements({ clientSecret: config.clientSecret, locale: config.locale });
  element = elements.create("payment");
}
element.mount("#card-element");

function absolute(path) {
  return new URL(path, window.location.href).toString();
}

async function confirmWithCardElement() {
  const tokenResult = await stripe.createToken(element);
  if (tokenResult.error) {
    return { error: tokenResult.error };
  }
  const response = await fetch(config.confirmUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      "X-CSRFToken": config.csrf,
      "Content-Type": "application/x-www-form-urlencoded",
      Accept: "application/json",
    },
    body: new URLSearchParams({ token: tokenResult.token.id }),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    return { error: { message: body.error || response.statusText } };
  }
  if (body.status === "requires_action") {
    return stripe.confirmCardPayment(body.client_secret);
  }
  return {};
}

function confirmWithPaymentElement() {
  return stripe.confirmPayment({
    elements,
    confirmParams: { return_url: absolute(config.resultUrl) },
    redirect: "if_required",
  });
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  errorBox.textContent = "";
  let result;
  try {
    result =
      config.element === "card" ? await confirmWithCardElement() : await confirmWithPaymentElement();
  } catch (error) {
    result = { error: { message: String((error && error.message) || error) } };
  }
  if (result && result.error) {
    errorBox.textContent = result.error.message || String(result.error);
    button.disabled = false;
    return;
  }
  window.location.assign(config.resultUrl);
});
