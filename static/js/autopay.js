// The autopay card page's one script: saves a card for later charges with a SetupIntent.
// Card data goes to Stripe only. "payment" (production) mounts the Payment Element and
// confirms with stripe.confirmSetup; "card" (localstripe's stand-in) mounts the Card
// Element and confirms with stripe.confirmCardSetup. Either way the browser then opens
// the done page, where the server reads the SetupIntent back from Stripe.

const form = document.getElementById("autopay-card");
const errorBox = document.getElementById("card-error");
const button = document.getElementById("save-button");
const config = form.dataset;
const stripe = window.Stripe(config.publishableKey, { locale: config.locale });
const doneUrl = new URL(config.doneUrl, window.location.href).toString();

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

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  errorBox.textContent = "";
  let result;
  try {
    result =
      config.element === "card"
        ? await stripe.confirmCardSetup(config.clientSecret, { payment_method: { card: element } })
        : await stripe.confirmSetup({
            elements,
            confirmParams: { return_url: doneUrl },
            redirect: "if_required",
          });
  } catch (error) {
    result = { error: { message: String((error && error.message) || error) } };
  }
  if (result && result.error) {
    errorBox.textContent = result.error.message || String(result.error);
    button.disabled = false;
    return;
  }
  window.location.assign(doneUrl);
});
