// Certificate verification on the static site (course/verify.qmd), with no server: the page reads
// verify/certificates.json, written by `empathy-ce certificates` (src/empathy_ce/instructor/certificates/publish.py),
// hashes the id the reader gives (from ?id= in the address, as the QR code sends it, or from the form) with the
// file's salt, and looks the hash up. Only this site's own file is requested; the id never leaves the browser.
(function () {
  "use strict";
  var DATA = "verify/certificates.json";
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December"];
  var form = document.getElementById("verify-form");
  var input = document.getElementById("verify-id");
  var result = document.getElementById("verify-result");
  var loaded = null;

  // The same rule as register.canonical in Python: upper case, letters and digits only.
  function canonical(text) {
    return String(text || "").toUpperCase().replace(/[^A-Z0-9]/g, "");
  }

  function longDate(iso) {
    var parts = String(iso || "").split("-");
    if (parts.length !== 3) return String(iso || "");
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function data() {
    if (!loaded) {
      loaded = fetch(DATA, { cache: "no-store" }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      });
      loaded.catch(function () { loaded = null; });
    }
    return loaded;
  }

  // Text only (never HTML): the id shown back is whatever the reader typed.
  function show(state, label, text) {
    var p = document.createElement("p");
    p.setAttribute("data-state", state);
    var strong = document.createElement("strong");
    strong.textContent = label + " ";
    p.appendChild(strong);
    p.appendChild(document.createTextNode(text));
    result.replaceChildren(p);
  }

  async function check(raw) {
    var id = canonical(raw);
    var shown = String(raw).trim();
    if (!id) {
      show("error", "No id entered.", "Enter the certificate id printed on the certificate.");
      return;
    }
    if (id.indexOf("DRAFT") === 0) {
      show("unknown", "Not a certificate.", "\u201c" + shown + "\u201d is the id of a draft. Drafts are not " +
        "certificates and cannot be verified.");
      return;
    }
    if (!window.crypto || !window.crypto.subtle) {
      show("error", "Cannot check here.", "This browser cannot compute the check on this page (it needs the page " +
        "to be opened over https). Contact the course provider instead.");
      return;
    }
    var list;
    try {
      list = await data();
    } catch (err) {
      show("error", "Cannot check now.", "The list of issued certificates could not be loaded (" + err.message +
        "). Try again later or contact the course provider.");
      return;
    }
    var digest = await window.crypto.subtle.digest("SHA-256", new TextEncoder().encode(list.salt + ":" + id));
    var record = list.salt ? list.certificates[hex(digest)] : undefined;
    if (!record) {
      show("unknown", "Not confirmed.", "No certificate with the id \u201c" + shown + "\u201d was issued for this " +
        "course. Check the id against the certificate: a single changed character makes it unknown.");
    } else if (record.status === "valid") {
      show("valid", "Valid certificate.", "Certificate \u201c" + shown + "\u201d was issued for completing " +
        record.course + " on " + longDate(record.completed) + ", for " + record.hours + " contact hours.");
    } else {
      show("revoked", "Revoked.", "Certificate \u201c" + shown + "\u201d was issued for " + record.course +
        " (completed " + longDate(record.completed) + "), but the course provider revoked it on " +
        longDate(record.revoked) + ". It is no longer valid.");
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var url = new URL(window.location.href);
    url.searchParams.set("id", input.value.trim());
    window.history.replaceState(null, "", url);
    check(input.value);
  });

  var given = new URLSearchParams(window.location.search).get("id");
  if (given) {
    input.value = given;
    check(given);
  }
})();
