import Foundation
import HTTPTypes
import Hummingbird
import Supervisor

/// The HTTP control API (SPEC §4): text bodies for the Go-era clients, JSON
/// with `Accept: application/json` or `?format=json`.
public enum ControlRoutes {
    /// Every route: path pattern, methods, handler.
    struct Route: Sendable {
        let path: String
        let methods: [HTTPRequest.Method]
        let handler: @Sendable (Supervisor, Request, BasicRequestContext) async throws(ControlError) -> Reply
    }

    static let routes: [Route] = [
        Route(path: "/list", methods: [.get]) { supervisor, _, _ in
            let names = supervisor.taskNames
            return Reply(text: names.map { $0 + "\n" }.joined(), json: ["tasks": names])
        },
        Route(path: "/tasks", methods: [.get]) { supervisor, _, _ in
            let all = await supervisor.statusOfRunningTasks()
            let text = all.isEmpty ? "no active tasks\n" : all.map(TextFormat.status).joined(separator: "\n")
            return Reply(text: text, json: TaskList(tasks: all))
        },
        Route(path: "/tasks", methods: [.delete]) { supervisor, _, _ in
            let stopped = await supervisor.stopAll()
            let text = stopped.isEmpty ? "no active tasks\n" : stopped.map { "Stopped \($0) workers\n" }.joined()
            return Reply(text: text, json: ["stopped": stopped])
        },
        Route(path: "/tasks/:name", methods: [.get]) { supervisor, _, context throws(ControlError) in
            let status = try await supervisor.status(of: name(context))
            return Reply(text: TextFormat.status(status), json: status)
        },
        Route(path: "/tasks/:name", methods: [.delete]) { supervisor, _, context throws(ControlError) in
            try await stop(supervisor, name(context))
        },
        Route(path: "/tasks/:name/stop", methods: [.put, .post]) { supervisor, _, context throws(ControlError) in
            try await stop(supervisor, name(context))
        },
        Route(path: "/tasks/:name/start", methods: [.get, .put, .post]) { supervisor, _, context throws(ControlError) in
            let task = name(context)
            let outcome = try await supervisor.start(task)
            let text = outcome == .started ? "Started task \(task)" : "Already running \(task)"
            let result = outcome == .started ? "started" : "already_running"
            return Reply(text: text + "\n", json: ["task": task, "result": result, "message": text])
        },
        Route(path: "/tasks/:name/list", methods: [.get]) { supervisor, _, context throws(ControlError) in
            let workers = try await supervisor.workers(of: name(context))
            let now = Date()
            return Reply(text: workers.map { TextFormat.worker($0, now: now) }.joined(), json: WorkerList(workers: workers))
        },
        Route(path: "/tasks/:name/set/:setting/:value", methods: [.get, .put, .post]) {
            supervisor, _, context throws(ControlError) in
            let task = name(context)
            let setting = parameter("setting", context)
            let value = parameter("value", context)
            try await supervisor.set(task, setting: setting, value: value)
            let message = "Changed workers cardinality"
            return Reply(text: message + "\n", json: ["task": task, "setting": setting, "value": value, "message": message])
        },
    ]

    /// Builds the router; `supervisor` serves every route, behind `protection`.
    public static func router(for supervisor: Supervisor, protection: HTTPProtection = .init()) -> Router<BasicRequestContext> {
        let router = Router()
        protection.register(on: router)
        router.add(middleware: FallbackMiddleware())
        let allMethods: [HTTPRequest.Method] = [.get, .head, .put, .post, .delete, .patch, .options]
        var methodsByPath: [String: [HTTPRequest.Method]] = [:]
        for route in routes {
            methodsByPath[route.path, default: []] += route.methods
            for method in route.methods {
                router.on(RouterPath(route.path), method: method) { request, context in
                    let wantsJSON = Reply.wantsJSON(request)
                    do throws(ControlError) {
                        return try await route.handler(supervisor, request, context).response(json: wantsJSON)
                    } catch {
                        return Reply.error(error, json: wantsJSON)
                    }
                }
            }
        }
        for (path, methods) in methodsByPath {
            let allowed = methods.map(\.rawValue).joined(separator: ", ")
            for method in allMethods where !methods.contains(method) {
                router.on(RouterPath(path), method: method) { request, _ in
                    var response = Reply.failure(
                        "ERROR: method \(request.method) not allowed on \(request.uri.path) (allowed: \(allowed))",
                        status: .methodNotAllowed, json: Reply.wantsJSON(request))
                    response.headers[.allow] = allowed
                    return response
                }
            }
        }
        return router
    }

    private static func name(_ context: BasicRequestContext) -> String {
        parameter("name", context)
    }

    /// A path parameter, percent-decoded.
    private static func parameter(_ key: String, _ context: BasicRequestContext) -> String {
        let raw = context.parameters.get(key) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    private static func stop(_ supervisor: Supervisor, _ task: String) async throws(ControlError) -> Reply {
        switch try await supervisor.stop(task) {
        case .stopped:
            let text = "Stopped \(task) workers"
            return Reply(text: text + "\n", json: ["task": task, "result": "stopped", "message": text])
        case .notRunning:
            throw .notRunning(task)
        }
    }
}

struct TaskList: Encodable { let tasks: [TaskStatus] }
struct WorkerList: Encodable { let workers: [WorkerStatus] }

/// Turns the router's "no route" into a one-line error body.
struct FallbackMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Reply.failure(
                "ERROR: no such route: \(request.method) \(request.uri.path)", status: .notFound,
                json: Reply.wantsJSON(request))
        }
    }
}
