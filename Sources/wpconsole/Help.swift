/// The text of `help`.
enum Help {
    static func lines(_ topic: CommandName?) -> [String] {
        if let topic { return entry(topic) }
        return ["commands:"] + CommandName.allCases.flatMap(entry) + [
            "Tab completes command and task names; Up and Down recall earlier lines.",
            "With several managers (open a:8010,b:8010) each reply line starts with its manager's address.",
        ]
    }

    private static func entry(_ name: CommandName) -> [String] {
        ["  " + name.usage, "      " + name.summary]
    }
}
