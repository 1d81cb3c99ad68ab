#!/usr/bin/env bash
# Installs the Debian packages wpm needs, only those that are missing, and
# the extra packages named as arguments (scripts/bench.sh asks for wrk).
# Quiet when everything is there; runs `apt-get update` once, and only when
# something has to be installed. Works as root, or through sudo otherwise.
# A package that this Debian release does not have is skipped with a notice.
set -euo pipefail

packages=(
    libzmq3-dev      # ZeroMQ headers and library (keep-alive proxy)
    libreadline-dev  # wpconsole line editing
    pkg-config       # SwiftPM finds libzmq and readline through it
    curl             # the README's examples and the integration tests
    tmux             # console tests drive wpconsole in a terminal
    python3-zmq      # example Python worker
    php-cli          # example PHP worker
    php-zmq          # example PHP worker's ZeroMQ binding
    systemd          # systemd-analyze checks resources/systemd/wpmanager.service
    chromium         # the dashboard's browser test (headless)
    chromium-driver  # its WebDriver, /usr/bin/chromedriver (driven through Selenium)
    prometheus       # promtool checks deploy/prometheus; the fleet test runs a server (no service is started)
    shellcheck       # lints the shell of deploy/Containerfile and the scripts
    faketime         # the wall-clock jump test (libfaketime)
    util-linux       # prlimit, mount: the limit and full-disk tests
)
packages+=("$@")

installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# The Python example worker runs under whichever `python3` comes first on
# PATH, which may be another build than Debian's (pyenv, say) and so not see
# python3-zmq: give that one pyzmq from PyPI. Not fatal: the tests also try
# /usr/bin/python3, and say what is missing when neither can import zmq.
pyzmq_for_path_python3() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -c 'import zmq' 2>/dev/null && return 0
    echo "install-deps: $(command -v python3) cannot import zmq: pip install pyzmq" >&2
    python3 -m pip install --quiet --disable-pip-version-check pyzmq >&2 ||
        echo "install-deps: notice: pip install pyzmq failed; the Python example needs /usr/bin/python3" >&2
}
# The OpenAPI conformance test runs schemathesis (PyPI) against a manager.
schemathesis_from_pypi() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -c 'import schemathesis' 2>/dev/null && return 0
    echo "install-deps: $(command -v python3) cannot import schemathesis: pip install schemathesis" >&2
    python3 -m pip install --quiet --disable-pip-version-check schemathesis >&2 ||
        echo "install-deps: notice: pip install schemathesis failed; OpenAPITests will fail" >&2
}
# The dashboard's browser test drives Chromium through Selenium (PyPI).
selenium_from_pypi() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -c 'import selenium' 2>/dev/null && return 0
    echo "install-deps: $(command -v python3) cannot import selenium: pip install selenium" >&2
    python3 -m pip install --quiet --disable-pip-version-check selenium >&2 ||
        echo "install-deps: notice: pip install selenium failed; DashboardBrowserTests will fail" >&2
}
# The deploy kit test validates deploy/kubernetes/*.yaml against the
# Kubernetes schemas that ship inside kubernetes-validate (PyPI): no network.
kubernetes_validate_from_pypi() {
    command -v python3 >/dev/null 2>&1 || return 0
    python3 -c 'import kubernetes_validate' 2>/dev/null && return 0
    echo "install-deps: $(command -v python3) cannot import kubernetes_validate: pip install kubernetes-validate" >&2
    python3 -m pip install --quiet --disable-pip-version-check kubernetes-validate >&2 ||
        echo "install-deps: notice: pip install kubernetes-validate failed; DeployKitTests will fail" >&2
}
python_packages() {
    pyzmq_for_path_python3
    schemathesis_from_pypi
    selenium_from_pypi
    kubernetes_validate_from_pypi
}
trap python_packages EXIT  # whichever way this script ends

missing=()
for package in "${packages[@]}"; do
    installed "$package" || missing+=("$package")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

# sudo resets the environment: pass DEBIAN_FRONTEND through env(1). With no
# terminal on stdin (CI), sudo must not wait for a password: -n.
if [[ $(id -u) -eq 0 ]]; then
    as_root=(env DEBIAN_FRONTEND=noninteractive)
elif command -v sudo >/dev/null 2>&1; then
    if [[ -t 0 ]]; then as_root=(sudo); else as_root=(sudo -n); fi
    as_root+=(env DEBIAN_FRONTEND=noninteractive)
else
    echo "install-deps: missing packages (${missing[*]}) and not root, and sudo is not available" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq

# Skip what this release does not ship (no installation candidate).
available=()
for package in "${missing[@]}"; do
    candidate=$(apt-cache policy "$package" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    if [[ -z "$candidate" || "$candidate" == "(none)" ]]; then
        echo "install-deps: notice: package $package is not available here; skipped" >&2
    else
        available+=("$package")
    fi
done
[[ ${#available[@]} -eq 0 ]] && exit 0

"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${available[@]}" >/dev/null
