import FoundationEssentials
import Glibc
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
        let handler: @Sendable (any SupervisorControl, Request, BasicRequestContext) async throws(ControlError) -> Reply
    }

    static let routes: [Route] = basicRoutes + RestartRoutes.routes + PoolOperationRoutes.routes

    static let basicRoutes: [Route] = [
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
        Route(path: "/tasks/:name", methods: [.get]) { supervisor, request, context throws(ControlError) in
            // Only the form asked for is built (the settings are JSON's).
            let json = Reply.wantsJSON(request)
            let status = try await supervisor.status(of: name(context), withSettings: json)
            return json ? .onlyJSON(TaskStatusJSON(status)) : .onlyText(TextFormat.status(status))
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
        Route(path: "/tasks/:name/list", methods: [.get]) { supervisor, request, context throws(ControlError) in
            let workers = try await supervisor.workers(of: name(context))
            // Only the form asked for is built (1000 workers: about 150 KB of text).
            if Reply.wantsJSON(request) { return .onlyJSON(WorkerList(workers: WorkerStatus.withUsage(workers))) }
            return .onlyText(body: WorkerListText.render(workers, now: Date()))
        },
        Route(path: "/tasks/:name/set/:setting/:value", methods: [.get, .put, .post]) {
            supervisor, _, context throws(ControlError) in
            let task = name(context)
            let setting = parameter("setting", context)
            let value = parameter("value", context)
            // Refused in the order they always were: the task, the setting, the value.
            guard supervisor.taskNames.contains(task) else { throw .unknownTask(task) }
            guard ControlError.settable.contains(setting) else { throw .unknownSetting(setting) }
            try await supervisor.setCardinality(task, to: CardinalityText.parse(value, max: supervisor.maxCardinality))
            let message = "Changed workers cardinality"
            return Reply(text: message + "\n", json: ["task": task, "setting": setting, "value": value, "message": message])
        },
    ]

    /// Builds the router; `supervisor` serves every route, `metrics` holds
    /// the registry `/metrics` shows (pass the one whose factory the
    /// supervisor was given), all behind `protection` (counted by the metrics).
    public static func router(
        for supervisor: any SupervisorControl, metrics: MetricsEndpoint = MetricsEndpoint(), protection: HTTPProtection = .init()
    ) -> Router<BasicRequestContext> {
        let router = Router()
        var methodsByPath: [String: [HTTPRequest.Method]] = [
            EventsRoute.path: [.get], MetricsEndpoint.path: [.get], LogsRoute.path: [.get],
        ]
        for page in Dashboard.paths { methodsByPath[page] = [.get] }
        for path in HealthRoutes.openPaths { methodsByPath[path] = [.get] }
        for route in routes { methodsByPath[route.path, default: []] += route.methods }
        router.add(middleware: HTTPMetricsMiddleware(factory: metrics.factory))
        protection.register(on: router)
        router.add(middleware: FallbackMiddleware(methodsByPath: methodsByPath))
        let allMethods: [HTTPRequest.Method] = [.get, .head, .put, .post, .delete, .patch, .options, .trace]
        EventsRoute.add(to: router, supervisor: supervisor)
        LogsRoute.add(to: router, supervisor: supervisor)
        Dashboard.add(to: router, token: protection.token != nil, routePaths: routes.map(\.path))
        metrics.add(to: router, supervisor: supervisor)
        HealthRoutes.add(to: router, supervisor: supervisor, protection: protection)
        for route in routes {
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
        // The usual other methods get a route of their own (so metrics name
        // the path); any other method is caught by FallbackMiddleware.
        for (path, methods) in methodsByPath {
            for method in allMethods where !methods.contains(method) {
                // `GET /tasks/restart` is `GET /tasks/:name` of a task named
                // so: the router takes the fixed path, and hands it over.
                if let other = routes.first(where: {
                    $0.path != path && $0.methods.contains(method) && FallbackMiddleware.matches(template: $0.path, path: path)
                }) {
                    router.on(RouterPath(path), method: method) { request, context in
                        var context = context
                        let names = other.path.split(separator: "/")
                        for (name, value) in zip(names, path.split(separator: "/")) where name.hasPrefix(":") {
                            context.coreContext.parameters[name.dropFirst()] = value
                        }
                        let wantsJSON = Reply.wantsJSON(request)
                        do throws(ControlError) {
                            return try await other.handler(supervisor, request, context).response(json: wantsJSON)
                        } catch {
                            return Reply.error(error, json: wantsJSON)
                        }
                    }
                    continue
                }
                router.on(RouterPath(path), method: method) { request, _ in
                    Reply.methodNotAllowed(request, allowed: methods)
                }
            }
        }
        return router
    }

    private static func name(_ context: BasicRequestContext) -> String {
        parameter("name", context)
    }

    /// A path parameter, percent-decoded.
    static func parameter(_ key: String, _ context: BasicRequestContext) -> String {
        let raw = context.parameters.get(key) ?? ""
        return percentDecoded(raw) ?? raw
    }

    /// `text` with each `%XX` replaced by its byte; nil when a `%` is not
    /// followed by two hex digits or the bytes are not UTF-8.
    static func percentDecoded(_ text: String) -> String? {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                return nil
            }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func stop(_ supervisor: any SupervisorControl, _ task: String) async throws(ControlError) -> Reply {
        switch try await supervisor.stop(task) {
        case .stopped:
            let text = "Stopped \(task) workers"
            return Reply(text: text + "\n", json: ["task": task, "result": "stopped", "message": text])
        case .notRunning:
            throw .notRunning(task)
        }
    }
}


/// Turns the router's "no route" into a one-line error body: 405 with an
/// `Allow` header when the path is a route's and only the method is unknown
/// (`QUERY /list`, say), 404 otherwise.
struct FallbackMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    /// Route templates (`/tasks/:name`) and the methods each takes.
    let methodsByPath: [String: [HTTPRequest.Method]]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            if let methods = methodsByPath.first(where: { Self.matches(template: $0.key, path: request.uri.path) })?.value {
                return Reply.methodNotAllowed(request, allowed: methods)
            }
            return Reply.failure(
                "no such route: \(request.method) \(request.uri.path)", goStyle: true, status: .notFound,
                json: Reply.wantsJSON(request))
        }
    }

    /// Whether `path` (a trailing slash tolerated) fits `template`, whose
    /// `:name` segments match any one non-empty segment.
    static func matches(template: String, path: String) -> Bool {
        var path = Substring(path)
        if path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        let want = template.split(separator: "/", omittingEmptySubsequences: false)
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
        guard want.count == have.count else { return false }
        return zip(want, have).allSatisfy { $0.hasPrefix(":") ? !$1.isEmpty : $0 == $1 }
    }
}
