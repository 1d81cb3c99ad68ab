import ArgumentParser

extension NameSpecification {
    /// An option spelled both `--name` and, as the Go tools' flag package
    /// took it, `-name` (`-name=value` and `-name value` alike); `--name`
    /// first in the help unless `singleDashFirst`, then the `aliases` as
    /// `--alias`.
    public static func goStyle(_ name: String, singleDashFirst: Bool = false, aliases: [String] = []) -> NameSpecification {
        let both: [NameSpecification.Element] = [.customLong(name), .customLong(name, withSingleDash: true)]
        return NameSpecification((singleDashFirst ? both.reversed() : both) + aliases.map { .customLong($0) })
    }
}
