extension Dashboard {
    /// `/`: the page. Its script and style come from `/ui/` (the
    /// Content-Security-Policy allows nothing inline and nothing from elsewhere).
    static let page = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wpmanager</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body>
<header>
  <h1>wpmanager</h1>
  <span id="live" class="lost">connecting…</span>
</header>
<form id="login" hidden>
  <h2>This manager needs its API token</h2>
  <label for="token">Token</label>
  <input id="token" type="password" autocomplete="current-password" required>
  <button type="submit">Open</button>
  <p id="login-error" role="alert"></p>
</form>
<main id="main" hidden>
  <p id="message" role="status" hidden></p>
  <div id="tasks"></div>
</main>
<aside id="logs" hidden>
  <div class="logs-head"><h2 id="logs-title">Output</h2><button id="logs-close" type="button">Close</button></div>
  <pre id="logs-text"></pre>
</aside>
</body>
</html>
"""#
}
