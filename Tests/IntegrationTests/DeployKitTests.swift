import Foundation
import Testing

/// Every file of deploy/ checked by the tool of the engine that reads it:
/// promtool for the Prometheus rules and the Grafana queries,
/// kubernetes-validate (its schemas ship in the package) for the manifests,
/// shellcheck for the Containerfile's shell; and the configs they carry
/// started in a real manager. Each check is also shown failing on a broken copy.
extension IntegrationSuite {
    @Suite struct DeployKitTests {
        static let deploy = repositoryRoot + "/deploy"

        static func tool(_ name: String, package: String) throws -> String {
            guard let path = onPath(name) else {
                throw HarnessError("\(name) is missing (\(package); scripts/install-deps.sh installs it)")
            }
            return path
        }

        static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

        // MARK: Prometheus

        @Test func theRulesPassPromtoolAndTheirUnitTests() async throws {
            let promtool = try Self.tool("promtool", package: "Debian's prometheus")
            let check = try await runCommand(promtool, ["check", "rules", Self.deploy + "/prometheus/wpm-rules.yml"])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.contains("SUCCESS: 10 rules found"), "\(check.stdout)")
            let test = try await runCommand(promtool, ["test", "rules", Self.deploy + "/prometheus/wpm-rules.test.yml"])
            #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
            #expect(test.stdout.contains("SUCCESS"))

            // Every alert the issue asks for exists and has its unit test.
            let rules = try Self.read(Self.deploy + "/prometheus/wpm-rules.yml")
            let tests = try Self.read(Self.deploy + "/prometheus/wpm-rules.test.yml")
            for alert in ["WpmTaskBelowCardinality", "WpmTaskBelowMinReady", "WpmTaskCrashLooping", "WpmStallRate", "WpmManagerDown"] {
                #expect(rules.contains("- alert: \(alert)\n"), "\(alert)")
                #expect(tests.contains("alertname: \(alert)\n"), "\(alert) has no unit test")
            }

            // The same tools fail a broken copy: a threshold moved, a typo.
            let ws = try Workspace()
            let moved = rules.replacingOccurrences(of: "increase(wpm_backoffs_total[10m]) > 3", with: "increase(wpm_backoffs_total[10m]) > 30")
            #expect(moved != rules)
            try moved.write(toFile: ws.path + "/wpm-rules.yml", atomically: true, encoding: .utf8)
            try tests.write(toFile: ws.path + "/wpm-rules.test.yml", atomically: true, encoding: .utf8)
            let failing = try await runCommand(promtool, ["test", "rules", ws.path + "/wpm-rules.test.yml"])
            #expect(failing.status != 0)
            #expect((failing.stdout + failing.stderr).contains("WpmTaskCrashLooping"), "\(failing.stdout)\(failing.stderr)")
            let typo = rules.replacingOccurrences(of: "sum by (task) (wpm_workers_ready)", with: "sum by (task) (wpm_workers_ready")
            try typo.write(toFile: ws.path + "/typo.yml", atomically: true, encoding: .utf8)
            let broken = try await runCommand(promtool, ["check", "rules", ws.path + "/typo.yml"])
            #expect(broken.status != 0)
        }

        /// The dashboard's queries, with Grafana's variables given values, as
        /// recording rules that promtool parses.
        static func dashboardQueriesAsRules(_ dashboard: [String: Any]) -> (rules: String, count: Int) {
            var lines = ["groups:", "  - name: dashboard", "    rules:"]
            var count = 0
            for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
                for target in panel["targets"] as? [[String: Any]] ?? [] {
                    guard let expr = target["expr"] as? String else { continue }
                    count += 1
                    let concrete = expr.replacingOccurrences(of: "$__rate_interval", with: "1m")
                        .replacingOccurrences(of: "$instance", with: ".*").replacingOccurrences(of: "$task", with: ".*")
                    let quoted = String(decoding: try! JSONSerialization.data(withJSONObject: [concrete]), as: UTF8.self)
                    lines.append("      - record: dashboard:query_\(count)")
                    lines.append("        expr: \(quoted.dropFirst().dropLast())")
                }
            }
            return (lines.joined(separator: "\n") + "\n", count)
        }

        @Test func everyQueryOfTheGrafanaDashboardParses() async throws {
            let promtool = try Self.tool("promtool", package: "Debian's prometheus")
            let data = try Data(contentsOf: URL(fileURLWithPath: Self.deploy + "/grafana/wpm-dashboard.json"))
            let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(dashboard["uid"] as? String == "wpm-fleet")
            let panels = try #require(dashboard["panels"] as? [[String: Any]])
            let ids = panels.compactMap { $0["id"] as? Int }
            #expect(ids.count == panels.count && Set(ids).count == ids.count, "every panel has an id of its own")
            #expect(panels.allSatisfy { !($0["targets"] as? [Any] ?? []).isEmpty && $0["datasource"] != nil })
            // The variables' queries name real metrics and labels.
            let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let definitions = variables.compactMap { $0["definition"] as? String }
            #expect(definitions == ["label_values(wpm_task_running, instance)", "label_values(wpm_task_running, task)"])

            let ws = try Workspace()
            let (rules, count) = Self.dashboardQueriesAsRules(dashboard)
            #expect(count >= 10)
            try rules.write(toFile: ws.path + "/dashboard.yml", atomically: true, encoding: .utf8)
            let check = try await runCommand(promtool, ["check", "rules", ws.path + "/dashboard.yml"])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)\n\(rules)")
            #expect(check.stdout.contains("SUCCESS: \(count) rules found"))
            // Every recording rule it reads is one the rules file makes.
            let shipped = try Self.read(Self.deploy + "/prometheus/wpm-rules.yml")
            for name in rules.matches(of: /task:[a-z_:]+/).map({ String($0.output) }) {
                #expect(shipped.contains("- record: \(name)\n"), "\(name)")
            }

            // A broken query fails.
            let broken = rules.replacingOccurrences(of: "sum by (", with: "sum by ((")
            try broken.write(toFile: ws.path + "/broken.yml", atomically: true, encoding: .utf8)
            #expect(try await runCommand(promtool, ["check", "rules", ws.path + "/broken.yml"]).status != 0)
        }

        // MARK: Kubernetes

        /// `python3` that has kubernetes-validate (and so PyYAML).
        static func pythonWithKubernetesValidate() async throws -> String {
            for python in [onPath("python3"), "/usr/bin/python3"].compactMap({ $0 }) {
                if try await runCommand(python, ["-c", "import kubernetes_validate, yaml"]).status == 0 { return python }
            }
            throw HarnessError("no python3 can import kubernetes_validate (PyPI kubernetes-validate; scripts/install-deps.sh)")
        }

        /// The documents of a YAML file, as JSON objects.
        static func documents(_ file: String, python: String) async throws -> [[String: Any]] {
            let script = "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"
            let result = try await runCommand(python, ["-c", script, file])
            guard result.status == 0 else { throw HarnessError("cannot read \(file): \(result.stderr)") }
            return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        }

        static let manifests = ["configmap.yaml", "deployment.yaml", "daemonset.yaml"].map { deploy + "/kubernetes/" + $0 }

        @Test func theManifestsValidateAgainstTheKubernetesSchemas() async throws {
            let python = try await Self.pythonWithKubernetesValidate()
            let result = try await runCommand(python, ["-m", "kubernetes_validate", "--strict"] + Self.manifests)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.components(separatedBy: " passed for resource ").count - 1 == 3, "\(result.stdout)")

            // A misspelled field, a wrong type: refused.
            let ws = try Workspace()
            let deployment = try Self.read(Self.manifests[1])
            for (from, to) in [("periodSeconds: 10", "periodSecond: 10"), ("containerPort: 8010", "containerPort: http")] {
                let broken = deployment.replacingOccurrences(of: from, with: to)
                #expect(broken != deployment)
                try broken.write(toFile: ws.path + "/broken.yaml", atomically: true, encoding: .utf8)
                let refused = try await runCommand(python, ["-m", "kubernetes_validate", "--strict", ws.path + "/broken.yaml"])
                #expect(refused.status != 0, "\(to)")
            }
        }

        @Test func theWorkloadsProbeProtectAndStopTheManagerAsTheREADMESays() async throws {
            let python = try await Self.pythonWithKubernetesValidate()
            let configMap = try #require(try await Self.documents(Self.manifests[0], python: python).first)
            let configText = try #require((configMap["data"] as? [String: String])?["wpmanager.json"])
            let config = try #require(try JSONSerialization.jsonObject(with: Data(configText.utf8)) as? [String: Any])
            let forceTimeout = try #require(config["force_timeout"] as? Int)
            let port = try #require(config["port"] as? Int)
            #expect(config["listen"] as? String == "0.0.0.0")
            #expect(config["token"] == nil, "the token comes from the Secret, not the ConfigMap")

            for file in Self.manifests.dropFirst() {
                let workload = try #require(try await Self.documents(file, python: python).first)
                let template = try #require((workload["spec"] as? [String: Any])?["template"] as? [String: Any])
                let annotations = (template["metadata"] as? [String: Any])?["annotations"] as? [String: String] ?? [:]
                #expect(annotations["prometheus.io/scrape"] == "true", "\(file)")
                #expect(annotations["prometheus.io/port"] == "\(port)")
                #expect(annotations["prometheus.io/path"] == "/metrics")
                let pod = try #require(template["spec"] as? [String: Any])
                let grace = try #require(pod["terminationGracePeriodSeconds"] as? Int)
                #expect(grace * 1000 > forceTimeout + 5000, "\(file): terminationGracePeriodSeconds above force_timeout")
                let container = try #require((pod["containers"] as? [[String: Any]])?.first)
                // PID 1 is wpmanager itself: no shell in front of it.
                let command = container["command"] as? [String] ?? []
                #expect(command.first == "/usr/local/bin/wpmanager", "\(file)")
                #expect(command.contains("-conf=/etc/wpmanager/wpmanager.json"))
                let env = container["env"] as? [[String: Any]] ?? []
                let token = env.first { $0["name"] as? String == "WPM_TOKEN" }
                let secret = (token?["valueFrom"] as? [String: Any])?["secretKeyRef"] as? [String: Any]
                #expect(secret?["name"] as? String == "wpm-token", "\(file): the token comes from a Secret")
                func probePath(_ name: String) -> String? {
                    ((container[name] as? [String: Any])?["httpGet"] as? [String: Any])?["path"] as? String
                }
                #expect(probePath("livenessProbe") == "/healthz", "\(file)")
                #expect(probePath("readinessProbe") == "/readyz", "\(file)")
                #expect(probePath("startupProbe") != nil, "\(file)")
                let ports = container["ports"] as? [[String: Any]] ?? []
                #expect(ports.first?["containerPort"] as? Int == port)
            }
        }

        /// The configs of the kit (the image's, the ConfigMap's) start a real
        /// manager, with no unknown key, and its example worker gets ready.
        @Test func theConfigsOfTheKitRunTheExampleWorkerToReady() async throws {
            let python = try await Self.pythonWithKubernetesValidate()
            let configMap = try #require(try await Self.documents(Self.manifests[0], python: python).first)
            let fromConfigMap = try #require((configMap["data"] as? [String: String])?["wpmanager.json"])
            let fromImage = try Self.read(Self.deploy + "/container/wpmanager.json")
            for (name, text) in [("image", fromImage), ("ConfigMap", fromConfigMap)] {
                let ws = try Workspace()
                // The image's example task: the shell worker, wpkeepalive on PATH.
                ws.task("ExampleTask.sh", try Self.read(examplesDirectory + "/shell/worker.sh"))
                var config = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                config["path"] = ws.tasks
                config["port"] = 0
                config["listen"] = "127.0.0.1"
                config["state_file"] = ws.path + "/state.json"
                var keepalives = config["keepalives"] as? [String: Any] ?? [:]
                keepalives["inbound_port"] = 0
                keepalives["internal_port"] = 0
                config["keepalives"] = keepalives
                let file = ws.config(String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self))
                let path = buildDirectory + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
                try await withManager(ws, config: file, environment: ["PATH": path, "WPM_TOKEN": "kit-token"]) { m in
                    m.token = "kit-token"
                    #expect(!m.stderr.text.contains("unknown key"), "\(name): \(m.stderr.text)")
                    var body = ""
                    let ready = try await eventually(timeout: .seconds(60)) {
                        body = try await m.get("/readyz").body
                        return body.hasPrefix("ready: 1 of 1 running tasks ready")
                    }
                    #expect(ready, "\(name): \(body)")
                }
            }
        }

        // MARK: Containerfile

        /// The instructions of a Containerfile: continuation lines joined,
        /// comments and blank lines left out.
        static func instructions(_ text: String) -> [(keyword: String, arguments: String)] {
            var result: [(String, String)] = []
            var current = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if current.isEmpty && (trimmed.isEmpty || trimmed.hasPrefix("#")) { continue }
                if trimmed.hasPrefix("#") { continue }
                if trimmed.hasSuffix("\\") {
                    current += String(trimmed.dropLast()) + " "
                    continue
                }
                current += trimmed
                let parts = current.split(separator: " ", maxSplits: 1)
                result.append((String(parts[0]).uppercased(), parts.count > 1 ? String(parts[1]) : ""))
                current = ""
            }
            return result
        }

        @Test func theContainerfileLintsAndNamesWhatExists() async throws {
            let shellcheck = try Self.tool("shellcheck", package: "Debian's shellcheck")
            let text = try Self.read(Self.deploy + "/Containerfile")
            let instructions = Self.instructions(text)
            let known: Set<String> = [
                "FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER", "WORKDIR", "ARG",
                "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
            ]
            for (keyword, _) in instructions { #expect(known.contains(keyword), "unknown instruction \(keyword)") }

            // The shell of every RUN and of the HEALTHCHECK passes shellcheck.
            var scripts = instructions.filter { $0.keyword == "RUN" }.map(\.arguments)
            let healthcheck = try #require(instructions.first { $0.keyword == "HEALTHCHECK" }?.arguments)
            let healthCommand = try #require(healthcheck.components(separatedBy: " CMD ").last)
            scripts.append(healthCommand)
            #expect(scripts.count >= 3)
            let ws = try Workspace()
            for (index, script) in scripts.enumerated() {
                let file = ws.path + "/run-\(index).sh"
                try ("#!/bin/sh\n" + script + "\n").write(toFile: file, atomically: true, encoding: .utf8)
                let lint = try await runCommand(shellcheck, ["--shell=sh", "--severity=style", file])
                #expect(lint.status == 0, "\(script)\n\(lint.stdout)")
            }
            // shellcheck does catch a bad line.
            try "#!/bin/sh\ncd $dir && rm -rf $dir/*\n".write(toFile: ws.path + "/bad.sh", atomically: true, encoding: .utf8)
            #expect(try await runCommand(shellcheck, ["--shell=sh", ws.path + "/bad.sh"]).status != 0)

            // What it says: a slim Debian base, the health check by wpconsole,
            // wpmanager as PID 1 (exec form), and files that exist.
            #expect(text.contains("ARG BASE_IMAGE=debian:bookworm-slim\n"))
            #expect(healthCommand.hasPrefix("wpconsole ") && healthCommand.contains(" check"), "\(healthCommand)")
            let entrypoint = try #require(instructions.last { $0.keyword == "ENTRYPOINT" }?.arguments)
            #expect(entrypoint == #"["/usr/local/bin/wpmanager", "-conf=/etc/wpmanager/wpmanager.json"]"#)
            #expect(instructions.contains { $0.keyword == "STOPSIGNAL" && $0.arguments == "SIGTERM" })
            for (keyword, arguments) in instructions where keyword == "COPY" && !arguments.hasPrefix("--from") {
                let source = String(arguments.split(separator: " ")[0])
                #expect(FileManager.default.fileExists(atPath: repositoryRoot + "/" + source), "COPY \(source)")
            }
            #expect(text.contains("COPY deploy/container/wpmanager.json /etc/wpmanager/wpmanager.json\n"))
        }
    }
}
