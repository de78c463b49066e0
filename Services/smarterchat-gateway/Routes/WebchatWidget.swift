/// The embeddable web chat widget served at `/webchat/widget.js`:
/// `<script src="https://host/webchat/widget.js" data-channel="wc_..."></script>`.
/// It starts a session, posts the visitor's messages and shows the replies from the
/// session's Server-Sent Events; the session is kept in sessionStorage for the tab.
///
/// A message the gateway does not accept is never lost: the text goes back into the input
/// and a short line says why (pt-BR unless the browser asks for another language, then
/// English). A 401 means the session expired (24 h without use) or is gone: the widget starts
/// a new session, listens to it, and posts the message once more.
enum WebchatWidget {
    static let script = #"""
        (function () {
          var me = document.currentScript;
          var channel = me && me.getAttribute("data-channel");
          if (!channel) { return; }
          var base = new URL(me.src).origin + "/webchat/" + encodeURIComponent(channel);
          var key = "smarterchat:" + channel;
          var say = /^pt/i.test((typeof navigator !== "undefined" && navigator.language) || "pt-BR") ? {
            placeholder: "Digite uma mensagem", send: "Enviar", unavailable: "O chat está indisponível no momento.",
            failed: "Mensagem não enviada. Tente de novo.", busy: "Muitas mensagens seguidas. Aguarde e tente de novo."
          } : {
            placeholder: "Type a message", send: "Send", unavailable: "Chat is unavailable right now.",
            failed: "Message not sent. Please try again.", busy: "Too many messages. Wait a moment and try again."
          };
          var box = document.createElement("div");
          box.style.cssText = "position:fixed;bottom:16px;right:16px;width:300px;font:14px sans-serif;" +
            "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.2);z-index:99999";
          box.innerHTML = '<div style="padding:8px;background:#2b6cb0;color:#fff;border-radius:8px 8px 0 0">Chat</div>' +
            '<div data-log style="height:240px;overflow-y:auto;padding:8px"></div>' +
            '<div data-note role="alert" style="padding:0 8px;color:#c53030;font-size:12px"></div>' +
            '<form data-form style="display:flex;border-top:1px solid #eee"><input data-text style="flex:1;border:0;padding:8px" ' +
            'placeholder="' + say.placeholder + '" maxlength="4096"><button style="border:0;padding:8px">' + say.send +
            '</button></form>';
          document.body.appendChild(box);
          var log = box.querySelector("[data-log]"), note = box.querySelector("[data-note]");
          var input = box.querySelector("[data-text]"), current = null, events = null;
          function show(who, text) {
            var line = document.createElement("div");
            line.style.margin = "4px 0";
            line.style.textAlign = who === "contact" ? "right" : "left";
            line.textContent = text;
            log.appendChild(line);
            log.scrollTop = log.scrollHeight;
          }
          function onMessage(e) {
            var data = JSON.parse(e.data), p = data.payload || {};
            if (p.content) { show(p.sender_type, p.content); }
          }
          function session(fresh) {
            var saved = !fresh && sessionStorage.getItem(key);
            if (saved) { return Promise.resolve(JSON.parse(saved)); }
            sessionStorage.removeItem(key);
            return fetch(base + "/sessions", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
              .then(function (r) { if (!r.ok) { throw new Error("chat unavailable"); } return r.json(); })
              .then(function (s) { sessionStorage.setItem(key, JSON.stringify(s)); return s; });
          }
          function listen(s) {
            if (events) { events.close(); }
            current = s;
            events = new EventSource(base + "/events?token=" + encodeURIComponent(s.token));
            events.addEventListener("message.received", onMessage);
            events.addEventListener("message.sent", onMessage);
          }
          function post(text, id) {
            return fetch(base + "/messages", {
              method: "POST",
              headers: { "content-type": "application/json", "authorization": "Bearer " + current.token },
              body: JSON.stringify({ text: text, client_message_id: id })
            });
          }
          function failed(text, why) {
            if (!input.value) { input.value = text; }
            note.textContent = why;
          }
          session(false).then(listen).then(function () {
            box.querySelector("[data-form]").addEventListener("submit", function (e) {
              e.preventDefault();
              var text = input.value.trim(), id = String(Date.now()) + Math.random();
              if (!text) { return; }
              input.value = "";
              note.textContent = "";
              post(text, id).then(function (r) {
                if (r.status !== 401) { return r; }
                return session(true).then(listen).then(function () { return post(text, id); });
              }).then(function (r) {
                if (!r.ok) { failed(text, r.status === 429 ? say.busy : say.failed); }
              }).catch(function () { failed(text, say.failed); });
            });
          }).catch(function () { show("system", say.unavailable); });
        })();
        """#
}
