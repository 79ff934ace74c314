// While a flood is on, the request form carries this script: it looks for a number that, with the form's
// token, gives a SHA-256 starting with enough zero bits, and puts it in the form. The server then keeps the
// request among the regular ones instead of marking it as part of the flood. Nothing is fetched, nothing is
// stored; without JavaScript (or without crypto.subtle) the form is sent the same way, only not ranked.
(function () {
  var form = document.getElementById("request");
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder) { return; }
  var bits = parseInt(form.getAttribute("data-puzzle-bits") || "0", 10);
  var token = form.querySelector("input[name=form_token]");
  var answer = form.querySelector("input[name=puzzle]");
  var status = document.querySelector("[data-puzzle-status]");
  if (!bits || !token || !answer) { return; }
  var encoder = new TextEncoder();
  function zeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      var b = bytes[i];
      while ((b & 0x80) === 0) { count += 1; b <<= 1; }
      return count;
    }
    return count;
  }
  if (status) { status.hidden = false; }
  var n = 0;
  function batch() {
    var tries = [];
    for (var i = 0; i < 256; i++, n++) {
      tries.push((function (candidate) {
        return window.crypto.subtle.digest("SHA-256", encoder.encode(token.value + ":" + candidate))
          .then(function (digest) { return zeroBits(new Uint8Array(digest)) >= bits ? candidate : null; });
      })(n));
    }
    Promise.all(tries).then(function (found) {
      for (var j = 0; j < found.length; j++) {
        if (found[j] !== null) {
          answer.value = String(found[j]);
          if (status) { status.textContent = status.getAttribute("data-done"); }
          return;
        }
      }
      window.setTimeout(batch, 0);
    });
  }
  batch();
})();
