// A tiny store that reports itself with tracker.js: each page is a real navigation
// (?page=...), so the dashboard sees sessions move the way a real shop's would.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const page = params.get("page") || "homepage";
  const id = params.get("id");
  const products = {
    electronics: [["Headphones", "59.90"], ["Phone charger", "19.50"], ["Smart speaker", "89.00"]],
    fashion: [["Sneakers", "74.99"], ["Rain jacket", "120.00"], ["Cap", "15.00"]],
    "black-friday": [["TV 55\" (-40%)", "349.00"], ["Laptop (-25%)", "899.00"], ["Blender (-50%)", "39.99"]],
  };
  const cart = [{ sku: "headphones", name: "Headphones", qty: 1, price: "59.90" }, { sku: "cap", name: "Cap", qty: 2, price: "15.00" }];
  const total = "89.90";
  const content = document.getElementById("content");

  function html(text) { content.innerHTML = text; }

  // The tracker reports the page from these attributes when it loads.
  const tracker = document.createElement("script");
  tracker.src = "/tracker.js";
  // Checkout and payment pages report themselves through the checkout/payment events.
  tracker.dataset.pageType = ["checkout", "pay", "done", "failed"].includes(page) ? "" : page;
  if (id) tracker.dataset.pageIdentifier = id;
  tracker.onload = render;
  document.body.appendChild(tracker);

  function render() {
    if (page === "homepage") {
      html('<h1>Welcome</h1><p class="muted">Pick a department above, or jump to the <a href="/demo/?page=offer&id=black-friday">Black Friday offer</a>.</p>');
    } else if (page === "category" || page === "offer") {
      const list = products[id] || [];
      html("<h1>" + (page === "offer" ? "Offer: " : "") + id + '</h1><div class="grid">' +
        list.map(([name, price]) => '<div class="card"><h3>' + name + "</h3><p>$" + price + '</p><a class="button" href="/demo/?page=checkout">Add to cart</a></div>').join("") + "</div>");
    } else if (page === "checkout") {
      LiveHub.checkoutStart(cart, total, "card");
      html("<h1>Checkout</h1><p>" + cart.map((i) => i.name + " ×" + i.qty).join(", ") + " — $" + total +
        '</p><p><input id="email" value="buyer@example.com"> <a id="to-payment" class="button" href="/demo/?page=pay">Pay $' + total + "</a></p>");
    } else if (page === "pay") {
      LiveHub.paymentStart("card", total);
      html("<h1>Payment</h1><p>Card ending 4242.</p>" +
        '<button id="pay-ok">Pay (succeeds)</button> <button id="pay-fail" class="fail">Pay (card declined)</button>');
      document.getElementById("pay-ok").onclick = () => {
        LiveHub.paymentSuccess("demo-" + Date.now(), total);
        setTimeout(() => { location.href = "/demo/?page=done"; }, 150);
      };
      document.getElementById("pay-fail").onclick = () => {
        LiveHub.paymentError("card_declined", "Your card was declined.", { decline_code: "insufficient_funds" }, { email: "buyer@example.com", phone: "+15550100" });
        setTimeout(() => { location.href = "/demo/?page=failed"; }, 150);
      };
    } else if (page === "failed") {
      html('<h1>Payment failed</h1><p>Your card was declined. <a id="retry" href="/demo/?page=pay">Try again</a></p>');
    } else if (page === "done") {
      html('<h1>Thank you!</h1><p>Your order is confirmed. <a href="/demo/">Back to the store</a></p>');
    }
  }
})();
