import Glibc

/// Calls `call` again for as long as it fails with EINTR (returns -1 with
/// `errno` set so), then returns what it returned: the one retry loop for
/// `read`, `write`, `poll`, `waitpid` and friends.
@inlinable
public func retryingOnInterrupt<Result: SignedInteger>(_ call: () -> Result) -> Result {
    while true {
        let result = call()
        if result == -1, errno == EINTR { continue }
        return result
    }
}
