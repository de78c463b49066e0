/// The embeddable web chat widget served at `/webchat/widget.js`:
/// `<script src="https://host/webchat/widget.js" data-channel="wc_..."></script>`.
/// It starts a session, posts the visitor's messages and shows the replies from the
/// session's Server-Sent Events; the session is kept in sessionStorage for the tab.
enum WebchatWidget {
    static let script = #"""
        (function () {
          var me = document.currentScript;
          var channel = me && me.getAttribute("data-channel");
          if (!channel) { return; }
          var base = new URL(me.src).origin + "/webchat/" + encodeURIComponent(channel);
          var key = "smarterchat:" + channel;
          var box = document.createElement("div");
          box.style.cssText = "position:fixed;bottom:16px;right:16px;width:300px;font:14px sans-serif;" +
            "background:#fff;border:1px solid #ccc;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.2);z-index:99999";
          box.innerHTML = '<div style="padding:8px;background:#2b6cb0;color:#fff;border-radius:8px 8px 0 0">Chat</div>' +
            '<div data-log style="height:240px;overflow-y:auto;padding:8px"></div>' +
            '<form data-form style="display:flex;border-top:1px solid #eee"><input data-text style="flex:1;border:0;padding:8px" ' +
            'placeholder="Type a message" maxlength="4096"><button style="border:0;padding:8px">Send</button></form>';
          document.body.appendChild(box);
          var log = box.querySelector("[data-log]");
          function show(who, text) {
            var line = document.createElement("div");
            line.style.margin = "4px 0";
            line.style.textAlign = who === "contact" ? "right" : "left";
            line.textContent = text;
            log.appendChild(line);
            log.scrollTop = log.scrollHeight;
          }
          function session() {
            var saved = sessionStorage.getItem(key);
            if (saved) { return Promise.resolve(JSON.parse(saved)); }
            return fetch(base + "/sessions", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
              .then(function (r) { if (!r.ok) { throw new Error("chat unavailable"); } return r.json(); })
              .then(function (s) { sessionStorage.setItem(key, JSON.stringify(s)); return s; });
          }
          session().then(function (s) {
            var events = new EventSource(base + "/events?token=" + encodeURIComponent(s.token));
            function onMessage(e) {
              var data = JSON.parse(e.data), p = data.payload || {};
              if (p.content) { show(p.sender_type, p.content); }
            }
            events.addEventListener("message.received", onMessage);
            events.addEventListener("message.sent", onMessage);
            box.querySelector("[data-form]").addEventListener("submit", function (e) {
              e.preventDefault();
              var input = box.querySelector("[data-text]"), text = input.value.trim();
              if (!text) { return; }
              input.value = "";
              fetch(base + "/messages", {
                method: "POST",
                headers: { "content-type": "application/json", "authorization": "Bearer " + s.token },
                body: JSON.stringify({ text: text, client_message_id: String(Date.now()) + Math.random() })
              });
            });
          }).catch(function () { show("system", "Chat is unavailable right now."); });
        })();
        """#
}
