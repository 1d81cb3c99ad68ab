#!/usr/bin/env python3
"""Drives the wpmanager dashboard in Debian's headless Chromium (Selenium,
with /usr/bin/chromedriver; nothing is downloaded) against a running manager.

    dashboard_check.py --url http://127.0.0.1:PORT --task Work --idle Idle --screenshot FILE
    dashboard_check.py --url http://127.0.0.1:PORT --token TOKEN --task Work

Prints one `ok: ...` line per step and `measured: ...` lines; exits non-zero
(with the reason) at the first step that does not hold. Chromium and
chromedriver are always ended.
"""
import argparse
import functools
import json
import os
import signal
import struct
import sys
import tempfile
import time
import urllib.request
import zlib

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not look anything up
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

TIMEOUT = 30.0
print = functools.partial(print, flush=True)  # noqa: A001 (in order with stderr)


class Failed(Exception):
    pass


def wait(what, condition, timeout=TIMEOUT, every=0.05):
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except Exception:  # the page is being redrawn under us: try again
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failed("timed out waiting for " + what)
        time.sleep(every)


class API:
    def __init__(self, url, token):
        self.url, self.token = url, token

    def get(self, path):
        request = urllib.request.Request(self.url + path, headers={"Accept": "application/json"})
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=10) as response:
            return json.loads(response.read())

    def status(self, task):
        return self.get("/tasks/%s" % task)

    def pids(self, task):
        return sorted(w["pid"] for w in self.get("/tasks/%s/list" % task)["workers"] if w["state"] == "running")


def browser(width, height, profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
        "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-default-apps", "--disable-extensions", "--no-proxy-server",
        "--user-data-dir=" + profile, "--window-size=%d,%d" % (width, height),
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path="/usr/bin/chromedriver", log_output=os.devnull)
    return webdriver.Chrome(service=service, options=options)


def errors(driver):
    """Console errors since the last call (reading the log empties it)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def rows(driver, task):
    """The pids of the task's running workers on the page (read in one go: the page redraws)."""
    return sorted(driver.execute_script(
        "const card = document.getElementById('task-' + arguments[0]);"
        "return card ? [...card.querySelectorAll('tbody tr.running')].map((r) => Number(r.dataset.pid)) : [];", task))


def click(driver, css):
    """Clicks the element, finding it again if the page redrew it meanwhile."""
    wait("to click " + css, lambda: driver.find_element(By.CSS_SELECTOR, css).click() or True)


def card_names(driver):
    return driver.execute_script("return [...document.querySelectorAll('section.task')].map((e) => e.dataset.task);")


def resize(driver, task, count, accept=True):
    def enter():
        field = driver.find_element(By.CSS_SELECTOR, '#task-%s input.size' % task)
        field.clear()
        field.send_keys(str(count))
        return True
    wait("to enter %d workers" % count, enter)
    click(driver, '#task-%s form.resize button' % task)
    return answer_confirm(driver, accept, required=False)


def answer_confirm(driver, accept, required=True):
    """Answers a confirm() if one comes; returns its text (None: none came)."""
    def dialog():
        try:
            return driver.switch_to.alert
        except Exception:
            return None
    deadline = time.monotonic() + (TIMEOUT if required else 1.5)
    alert = dialog()
    while alert is None and time.monotonic() < deadline:
        time.sleep(0.05)
        alert = dialog()
    if alert is None and required:
        raise Failed("no confirmation was asked")
    if alert is None:
        return None
    text = alert.text
    alert.accept() if accept else alert.dismiss()
    return text


def png_is_blank(data):
    """Decodes an 8-bit RGB(A) PNG; blank: one colour covers nearly all of it."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failed("the screenshot is not a PNG")
    position, idat, width = 8, b"", 0
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise Failed("unexpected PNG format (depth %d, colour type %d)" % (depth, colour))
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    counts = {}
    for y in range(height):
        line = raw[y * (stride + 1):(y + 1) * (stride + 1)]
        kind, current = line[0], bytearray(line[1:])
        for i in range(stride):
            left = current[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                current[i] = (current[i] + left) & 255
            elif kind == 2:
                current[i] = (current[i] + up) & 255
            elif kind == 3:
                current[i] = (current[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                current[i] = (current[i] + predictor) & 255
        if y % 4 == 0:  # a sample of the rows is enough
            for x in range(0, stride, channels * 2):
                pixel = bytes(current[x:x + 3])
                counts[pixel] = counts.get(pixel, 0) + 1
        previous = current
    total = sum(counts.values())
    commonest = max(counts.values())
    print("measured: screenshot %dx%d, %d colours sampled, commonest %.0f%%" % (
        width, height, len(counts), 100.0 * commonest / total))
    return len(counts) < 8 or commonest > 0.97 * total


def check_page(driver, api, args):
    driver.get(args.url + "/")
    wait("both tasks on the page", lambda: {args.task, args.idle} <= set(card_names(driver)))
    wait("the page to say it is live", lambda: driver.find_element(By.ID, "live").text == "live")
    names = api.get("/list")["tasks"]
    if sorted(card_names(driver)) != sorted(names):
        raise Failed("page lists %s, the manager %s" % (card_names(driver), names))
    wait("the workers of %s on the page" % args.task, lambda: rows(driver, args.task) == api.pids(args.task))
    print("ok: the page lists the tasks %s and the workers of %s" % (names, args.task))

    # Growing needs no confirmation; shrinking asks, and No changes nothing.
    wanted = api.status(args.task)["cardinality"] + 1
    if resize(driver, args.task, wanted) is not None:
        raise Failed("growing a task asked for a confirmation")
    wait("cardinality %d at the manager" % wanted, lambda: api.status(args.task)["cardinality"] == wanted)
    wait("%d workers on the page" % wanted, lambda: len(rows(driver, args.task)) == wanted)
    print("ok: a resize made through the page reached the manager (%d workers)" % wanted)
    wait("the resize field to show %d" % wanted, lambda: driver.find_element(
        By.CSS_SELECTOR, '#task-%s input.size' % args.task).get_attribute("value") == str(wanted))
    text = resize(driver, args.task, wanted - 1, accept=False)
    if not text or "Stop 1 of the %d workers" % wanted not in text:
        raise Failed("shrinking did not ask first (dialog: %r)" % text)
    time.sleep(0.5)  # nothing may happen: give it the chance to
    if api.status(args.task)["cardinality"] != wanted:
        raise Failed("a shrink that was not confirmed reached the manager")
    text = resize(driver, args.task, wanted - 1, accept=True)
    wait("cardinality %d at the manager" % (wanted - 1), lambda: api.status(args.task)["cardinality"] == wanted - 1)
    print("ok: shrinking asks first (%r); No changes nothing, Yes resizes" % text)

    # A worker killed from outside: gone from the page, its replacement there, no reload.
    before = wait("%d workers" % (wanted - 1), lambda: (lambda p: p if len(p) == wanted - 1 else None)(api.pids(args.task)))
    wait("the page to show them", lambda: rows(driver, args.task) == before)
    driver.execute_script("window.__noReload = 42;")
    victim = before[0]
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    seen_by_manager = seen_by_page = None
    deadline = killed_at + TIMEOUT
    while (seen_by_manager is None or seen_by_page is None) and time.monotonic() < deadline:
        now = time.monotonic()
        if seen_by_manager is None:
            pids = api.pids(args.task)
            if victim not in pids and len(pids) == len(before):
                seen_by_manager = now
        if seen_by_page is None:
            shown = rows(driver, args.task)
            if victim not in shown and len(shown) == len(before) and set(shown) - set(before):
                seen_by_page = now
        time.sleep(0.05)
    if seen_by_page is None or seen_by_manager is None:
        raise Failed("the replacement of %d did not appear (manager: %s, page: %s)" % (
            victim, seen_by_manager, seen_by_page))
    if driver.execute_script("return window.__noReload;") != 42:
        raise Failed("the page was reloaded")
    lag = seen_by_page - seen_by_manager
    print("measured: kill to replacement on the page %.2f s (manager %.2f s, page behind it %.2f s)" % (
        seen_by_page - killed_at, seen_by_manager - killed_at, max(lag, 0)))
    if lag > 2.0:
        raise Failed("the page showed the replacement %.2f s after the manager had it (more than 2 s)" % lag)
    print("ok: the killed worker left the page and its replacement appeared without a reload")

    # Restart, where the manager has the route: asked first; every worker replaced.
    if "restart" in api.get("/ui/config.json")["actions"]:
        before = api.pids(args.task)
        click(driver, '#task-%s button.restart' % args.task)
        text = answer_confirm(driver, accept=False)
        time.sleep(0.5)
        if api.pids(args.task) != before:
            raise Failed("a restart that was not confirmed reached the manager")
        click(driver, '#task-%s button.restart' % args.task)
        answer_confirm(driver, accept=True)
        wait("every worker of %s replaced" % args.task, lambda: (lambda p: len(p) == len(before) and not set(p) & set(before))(
            api.pids(args.task)), timeout=60)
        wait("the new workers on the page", lambda: rows(driver, args.task) == api.pids(args.task))
        print("ok: restart through the page (asked: %r), every worker replaced" % text)

    # Start, then stop (asked first) the idle task.
    click(driver, '#task-%s button.start' % args.idle)
    wait("%s running" % args.idle, lambda: api.status(args.idle)["running"])
    wait("a Stop button for %s" % args.idle, lambda: driver.find_element(By.CSS_SELECTOR, '#task-%s button.stop' % args.idle))
    click(driver, '#task-%s button.stop' % args.idle)
    text = answer_confirm(driver, accept=True)
    wait("%s stopped" % args.idle, lambda: not api.status(args.idle)["running"])
    print("ok: start and stop through the page (stop asked: %r)" % text)

    # The output panel follows the task's lines.
    click(driver, '#task-%s button.logs' % args.task)
    wait("output lines in the panel", lambda: "hello from" in driver.find_element(By.ID, "logs-text").text)
    driver.find_element(By.ID, "logs-close").click()
    print("ok: the output panel shows the task's lines")

    if args.screenshot:
        driver.set_window_size(1200, 800)
        time.sleep(0.3)
        png = driver.get_screenshot_as_png()
        with open(args.screenshot, "wb") as out:
            out.write(png)
        if png_is_blank(png):
            raise Failed("the screenshot is blank")
        print("ok: screenshot %s (%d bytes) is not blank" % (args.screenshot, len(png)))

    # A phone: nothing wider than the screen, the controls still there.
    driver.set_window_size(390, 844)
    wait("the phone-sized layout", lambda: driver.execute_script("return window.innerWidth") <= 420)
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 1:
        raise Failed("on a phone-sized screen the page is %d px wider than the screen" % overflow)
    if not driver.find_element(By.CSS_SELECTOR, '#task-%s form.resize button' % args.task).is_displayed():
        raise Failed("the resize control is not shown on a phone-sized screen")
    print("ok: phone-sized screen, no horizontal overflow")


def check_token(driver, api, args):
    driver.get(args.url + "/")
    wait("the token prompt", lambda: driver.find_element(By.ID, "login").is_displayed())
    if card_names(driver) or driver.find_element(By.ID, "main").is_displayed():
        raise Failed("without the token the page shows more than the prompt")
    print("ok: without the token only the prompt is shown")
    driver.find_element(By.ID, "token").send_keys("not-" + args.token)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait("'Wrong token.'", lambda: driver.find_element(By.ID, "login-error").text == "Wrong token.")
    if card_names(driver):
        raise Failed("a wrong token showed the tasks")
    refused = errors(driver)  # the browser reports the refused request (401): expected here
    print("ok: a wrong token is refused (%d console line(s) for the 401)" % len(refused))
    driver.find_element(By.ID, "token").clear()
    driver.find_element(By.ID, "token").send_keys(args.token)
    driver.find_element(By.CSS_SELECTOR, "#login button").click()
    wait("the tasks after the token", lambda: args.task in card_names(driver))
    wait("the page to say it is live", lambda: driver.find_element(By.ID, "live").text == "live")
    wait("the workers of %s" % args.task, lambda: rows(driver, args.task) == api.pids(args.task))
    print("ok: with the token the page lists the tasks and follows the events")


def check_recovery(driver, api, args):
    """The manager goes away (SIGTERM) and comes back on the same port."""
    import subprocess
    driver.get(args.url + "/")
    wait("the page to say it is live", lambda: driver.find_element(By.ID, "live").text == "live")
    wait("the workers of %s" % args.task, lambda: rows(driver, args.task) == api.pids(args.task))
    before = rows(driver, args.task)
    left = errors(driver)
    if left:
        raise Failed("browser console errors: %s" % left)
    driver.execute_script("window.__noReload = 42;")
    os.kill(args.manager_pid, signal.SIGTERM)
    wait("the page to say the connection is lost",
         lambda: driver.find_element(By.ID, "live").text.startswith("connection lost"))
    print("ok: the page says the connection is lost when the manager goes away")
    wait("the manager to exit", lambda: not os.path.exists("/proc/%d/cmdline" % args.manager_pid)
         or open("/proc/%d/stat" % args.manager_pid).read().split(") ")[-1].startswith("Z"), timeout=60)
    with open(os.devnull, "wb") as null:
        manager = subprocess.Popen(json.loads(args.restart_command), stdout=null, stderr=null, stdin=subprocess.DEVNULL)
    try:
        wait("the manager back", lambda: api.get("/list"), timeout=60)
        wait("the page live again", lambda: driver.find_element(By.ID, "live").text == "live", timeout=60)
        wait("the new workers on the page", lambda: (lambda p: p and p == api.pids(args.task) and p != before)(
            rows(driver, args.task)), timeout=60)
        if driver.execute_script("return window.__noReload;") != 42:
            raise Failed("the page was reloaded")
        print("ok: the page recovered when the manager came back (workers %s, then %s)" % (before, rows(driver, args.task)))
        # The refused connections meanwhile are reported by the browser: expected here.
        errors(driver)
    finally:
        manager.terminate()
        manager.wait(timeout=60)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--task", required=True)
    parser.add_argument("--idle")
    parser.add_argument("--token")
    parser.add_argument("--screenshot")
    parser.add_argument("--manager-pid", type=int, help="with --restart-command: SIGTERM it, then start that")
    parser.add_argument("--restart-command", help="JSON list: the manager's command line, to start it again")
    args = parser.parse_args()
    api = API(args.url, args.token)
    with tempfile.TemporaryDirectory(prefix="wpm-chromium-") as profile:
        driver = browser(1280, 900, profile)
        try:
            if args.restart_command:
                check_recovery(driver, api, args)
            elif args.token:
                check_token(driver, api, args)
            else:
                check_page(driver, api, args)
            left = errors(driver)
            if left:
                raise Failed("browser console errors: %s" % left)
            print("ok: no console errors")
        except Exception as failure:  # a failed step, or Selenium's own error
            print("FAILED: %s" % failure, file=sys.stderr)
            try:
                print("page text:\n" + driver.find_element(By.TAG_NAME, "body").text, file=sys.stderr)
                print("console: %s" % driver.get_log("browser"), file=sys.stderr)
            except Exception:
                pass
            return 1
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
