/// "Did you mean ...?": the closest known word to a mistyped one.
enum Suggestion {
    /// The candidate closest to `word` (optimal string alignment distance:
    /// insertions, deletions, substitutions and swaps of two neighbours each
    /// count 1), when it is close enough to be a likely typo: at most 2 edits,
    /// and fewer edits than the word has letters. A word that begins exactly
    /// one candidate (`listw` for `listworkers`) gets that one. Ties go to the
    /// candidate listed first.
    static func closest(to word: String, among candidates: [String]) -> String? {
        let word = word.lowercased()
        guard !word.isEmpty else { return nil }
        let starting = candidates.filter { $0.lowercased().hasPrefix(word) }
        if starting.count == 1 { return starting[0] }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = distance(word, candidate.lowercased())
            if distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        guard let best, best.distance <= min(2, word.count - 1) else { return nil }
        return best.candidate
    }

    /// Optimal string alignment distance between `a` and `b`.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // d[i][j]: distance between the first i characters of a and the first j of b.
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
