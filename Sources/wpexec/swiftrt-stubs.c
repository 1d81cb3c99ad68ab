/*
 * SwiftPM links every executable with swiftc, which adds the Swift
 * runtime's image registration (swiftrt.o) and -lswiftCore. wpexec has no
 * Swift code: these two stubs satisfy swiftrt.o, so that the static link
 * (see Package.swift) pulls nothing of the Swift runtime in and the helper
 * starts without it.
 */
void swift_addNewDSOImage(const void *image);
int _swift_backtrace_isThunkFunction(const char *name);

void swift_addNewDSOImage(const void *image) { (void)image; }
int _swift_backtrace_isThunkFunction(const char *name) { (void)name; return 0; }
