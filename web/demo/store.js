// A tiny store that reports itself with tracker.js: each page is a real navigation
// (?page=...), so the dashboard sees sessions move the way a real shop's would.
// The page is built with DOM calls only (no innerHTML): whatever the query string holds is
// shown as text, and every link's address is one of the fixed ones below. The hub serves
// it under a Content-Security-Policy without 'unsafe-inline': no inline script or style.
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const page = params.get("page") || "homepage";
  const id = params.get("id");
  // Each product: [sku, name, price].
  const products = {
    electronics: [["headphones", "Headphones", "59.90"], ["phone-charger", "Phone charger", "19.50"], ["smart-speaker", "Smart speaker", "89.00"]],
    fashion: [["sneakers", "Sneakers", "74.99"], ["rain-jacket", "Rain jacket", "120.00"], ["cap", "Cap", "15.00"]],
    "black-friday": [["tv-55", "TV 55\" (-40%)", "349.00"], ["laptop", "Laptop (-25%)", "899.00"], ["blender", "Blender (-50%)", "39.99"]],
  };
  const bySku = {};
  for (const list of Object.values(products)) for (const p of list) bySku[p[0]] = p;
  const cart = [{ sku: "headphones", name: "Headphones", qty: 1, price: "59.90" }, { sku: "cap", name: "Cap", qty: 2, price: "15.00" }];
  const total = "89.90";
  const content = document.getElementById("content");

  /// An element with attributes (functions for `on…` keys become listeners) and children
  /// (strings become text nodes, never markup). A `style` attribute or an `on…` string
  /// would be inline code or style that the page's policy refuses: thrown out here.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.toLowerCase() === "style") throw new TypeError("el(): no inline style; use a class");
      if (k.toLowerCase().startsWith("on")) {
        if (typeof v !== "function") throw new TypeError("el(): " + k + " must be a function");
        node.addEventListener(k.slice(2).toLowerCase(), v);
      } else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children.flat()) {
      if (child == null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function show(...nodes) { content.replaceChildren(...nodes); }

  // The tracker reports the page from these attributes when it loads.
  const tracker = document.createElement("script");
  tracker.src = "/tracker.js";
  // Checkout and payment pages report themselves through the checkout/payment events.
  tracker.dataset.pageType = ["checkout", "pay", "done", "failed"].includes(page) ? "" : page;
  // A product page names its product (the sku) as the page's identifier.
  if (id) tracker.dataset.pageIdentifier = id;
  tracker.addEventListener("load", render);
  document.body.appendChild(tracker);

  /// "Add to cart": a custom event the console counts (and a goal or a funnel step can be
  /// made of), then on to the cart. The short wait lets the event leave before the page does.
  function addToCart(sku) {
    return el("button", { class: "add", "data-sku": sku, onclick: () => {
      LiveHub.track("add_to_cart", { sku });
      setTimeout(() => { location.href = "/demo/?page=checkout"; }, 150);
    } }, "Add to cart");
  }
  function productLink(sku, name) {
    return el("a", { href: "/demo/?page=product&id=" + encodeURIComponent(sku) }, name);
  }

  function render() {
    if (page === "homepage") {
      show(el("h1", {}, "Welcome"),
        el("p", { class: "muted" }, "Pick a department above, or jump to the ",
          el("a", { href: "/demo/?page=offer&id=black-friday" }, "Black Friday offer"), "."));
    } else if (page === "category" || page === "offer") {
      // Only a product list of our own: an id like "constructor" names no list.
      const list = Object.prototype.hasOwnProperty.call(products, id) ? products[id] : [];
      show(el("h1", {}, (page === "offer" ? "Offer: " : "") + (id == null ? "" : id)),
        el("div", { class: "grid" }, list.map(([sku, name, price]) =>
          el("div", { class: "card" }, el("h3", {}, productLink(sku, name)), el("p", {}, "$" + price), addToCart(sku)))));
    } else if (page === "product") {
      const found = Object.prototype.hasOwnProperty.call(bySku, id) ? bySku[id] : null;
      if (!found) { show(el("h1", {}, "No such product"), el("p", {}, el("a", { href: "/demo/" }, "Back to the store"))); return; }
      const [sku, name, price] = found;
      show(el("h1", {}, name), el("p", { class: "muted" }, "Sku " + sku), el("p", { class: "price" }, "$" + price), addToCart(sku));
    } else if (page === "checkout") {
      LiveHub.checkoutStart(cart, total, "card");
      show(el("h1", {}, "Checkout"),
        el("p", {}, cart.map((i) => i.name + " ×" + i.qty).join(", ") + " — $" + total),
        el("p", {}, el("input", { id: "email", value: "buyer@example.com" }), " ",
          el("a", { id: "to-payment", class: "button", href: "/demo/?page=pay" }, "Pay $" + total)));
    } else if (page === "pay") {
      LiveHub.paymentStart("card", total);
      show(el("h1", {}, "Payment"), el("p", {}, "Card ending 4242."),
        el("button", { id: "pay-ok", onclick: () => {
          LiveHub.paymentSuccess("demo-" + Date.now(), total);
          setTimeout(() => { location.href = "/demo/?page=done"; }, 150);
        } }, "Pay (succeeds)"), " ",
        el("button", { id: "pay-fail", class: "fail", onclick: () => {
          LiveHub.paymentError("card_declined", "Your card was declined.", { decline_code: "insufficient_funds" }, { email: "buyer@example.com", phone: "+15550100" });
          setTimeout(() => { location.href = "/demo/?page=failed"; }, 150);
        } }, "Pay (card declined)"));
    } else if (page === "failed") {
      show(el("h1", {}, "Payment failed"),
        el("p", {}, "Your card was declined. ", el("a", { id: "retry", href: "/demo/?page=pay" }, "Try again")));
    } else if (page === "done") {
      show(el("h1", {}, "Thank you!"),
        el("p", {}, "Your order is confirmed. ", el("a", { href: "/demo/" }, "Back to the store")));
    }
  }
})();
