import FoundationEssentials
import HTTPTypes
import Hummingbird
import Supervisor
import SystemHelpers

/// The probes: `GET /healthz` (liveness: the supervisor's loop answers) and
/// `GET /readyz` (readiness: every running task has its `min_ready` ready
/// workers and none has been in restart backoff for longer than
/// `ready_grace`). Both answer without the token (a kubelet has none); then
/// `/readyz` tells the verdict and the counts only, no task names. With the
/// token (or when none is configured), the reasons task by task, and
/// `?task=NAME` (repeatable) judges those tasks only.
enum HealthRoutes {
    static let livenessPath = "/healthz"
    static let readinessPath = "/readyz"
    /// Routes that answer without the token.
    static let openPaths: Set<String> = [livenessPath, readinessPath]
    static let livenessParameters = ["format"]
    static let readinessParameters = ["task", "format"]

    static func add(to router: Router<BasicRequestContext>, supervisor: any SupervisorControl, protection: HTTPProtection) {
        let token = protection.token.map(AccessTokenMiddleware.init(token:))
        router.get(RouterPath(livenessPath)) { request, _ in
            let json = Reply.wantsJSON(request)
            if let refusal = token?.refusal(request) { return refusal }
            if let bad = unknownParameter(request, allowed: livenessParameters) { return bad }
            let answered = await supervisor.answers(within: Liveness.deadline)
            return liveness(answered).response(json: json, status: answered == nil ? .serviceUnavailable : .ok)
        }
        router.get(RouterPath(readinessPath)) { request, _ in
            let json = Reply.wantsJSON(request)
            if let refusal = token?.refusal(request) { return refusal }
            if let bad = unknownParameter(request, allowed: readinessParameters) { return bad }
            // With no token configured, everyone may see everything.
            let entitled = token == nil || request.headers[.authorization] != nil
            var seen = Set<String>()
            let only = request.uri.queryParameters.getAll("task").map { String($0) }.filter { seen.insert($0).inserted }
            if !only.isEmpty {
                guard entitled else {
                    var refusal = Reply.failure(
                        "?task= needs the token: send the header \"Authorization: Bearer TOKEN\"",
                        goStyle: true, status: .unauthorized, json: json)
                    refusal.headers[.wwwAuthenticate] = #"Bearer realm="wpmanager""#
                    return refusal
                }
                for task in only {
                    guard !task.isEmpty else {
                        return Reply.failure("empty task name in ?task= (give a task name)", goStyle: true, status: .badRequest, json: json)
                    }
                    guard supervisor.taskNames.contains(task) else { return Reply.error(.unknownTask(task), json: json) }
                }
            }
            let report = await supervisor.readiness(only: only.isEmpty ? nil : only)
            let shown = entitled ? report : report.anonymous
            return Reply(text: text(shown), json: shown)
                .response(json: json, status: report.ready ? .ok : .serviceUnavailable)
        }
    }

    /// Why `/healthz` says what it says.
    private static func liveness(_ answered: Duration?) -> Reply {
        guard let answered else {
            let limit = Liveness.deadline.milliseconds
            return Reply(
                text: "not alive: the supervisor did not answer within \(limit) ms\n",
                json: LivenessReply(alive: false, answeredMS: nil))
        }
        let ms = Int(answered.milliseconds)
        return Reply(text: "alive: the supervisor answered in \(ms) ms\n", json: LivenessReply(alive: true, answeredMS: ms))
    }

    /// `ready: 2 of 2 running tasks ready, 5 workers ready (min_ready 5)`,
    /// then one line per task when the report has them.
    static func text(_ report: ReadinessReport) -> String {
        var head = report.ready ? "ready" : "not ready"
        switch report.phase {
        case .starting: head += " (starting: the autotasks have not been started yet)"
        case .shuttingDown: head += " (shutting down)"
        case .running: break
        }
        var lines = [
            "\(head): \(report.tasksReady) of \(report.tasksRunning) running tasks ready, "
                + "\(report.readyWorkers) workers ready (min_ready \(report.minReady))"
        ]
        for task in report.tasks ?? [] {
            lines.append(
                task.ready
                    ? "\(task.name): ready: \(task.readyWorkers) of \(task.cardinality) workers ready (min_ready \(task.minReady))"
                    : "\(task.name): not ready: " + task.reasons.joined(separator: "; "))
        }
        return lines.map { $0 + "\n" }.joined()
    }

    private static func unknownParameter(_ request: Request, allowed: [String]) -> Response? {
        for (key, _) in request.uri.queryParameters where !allowed.contains(String(key)) {
            return Reply.failure(
                "unknown parameter \"\(key)\" on \(request.uri.path) (allowed: \(allowed.joined(separator: ", ")))",
                goStyle: true, status: .badRequest, json: Reply.wantsJSON(request))
        }
        return nil
    }
}

struct LivenessReply: Encodable {
    let alive: Bool
    let answeredMS: Int?

    enum CodingKeys: String, CodingKey {
        case alive
        case answeredMS = "answered_ms"
    }
}
