<?php
/**
 * Base class for wpmanager workers in PHP: extend it, implement work(), and
 * call run(). ExampleTask.php is a complete worker.
 *
 * Keep-alives are the Go workerpoolmanager's PoolWorker messages, unchanged:
 * a ZeroMQ PUB socket connected to the manager's inbound endpoint sends two
 * frames, the task name and {"taskname":"Example","pid":4242}; wpm also
 * reads the optional "status" (ready, working, stopping), "job" and
 * "message". The task name and the endpoint come from the environment
 * wpmanager gives every worker: WPM_TASK_NAME and WPM_KEEPALIVE_ENDPOINT.
 *
 * Stopping: wpmanager sends SIGTERM, then SIGKILL after its grace period.
 * With the pcntl extension (php-cli has it on Debian) the worker finishes
 * the unit of work it is doing, sends a last keep-alive with status
 * "stopping" and exits 0. Without pcntl, SIGTERM ends it at once (PHP's
 * default), which the manager also accepts as a clean stop when it asked.
 *
 * Needs the zmq extension (Debian: php-zmq).
 */
abstract class PoolWorker
{
    protected string $task;
    protected int $pid;
    private ZMQContext $context;
    private ZMQSocket $socket;
    private bool $stopRequested = false;

    public function __construct()
    {
        $task = getenv('WPM_TASK_NAME');
        $endpoint = getenv('WPM_KEEPALIVE_ENDPOINT');
        if ($task === false || $task === '' || $endpoint === false || $endpoint === '') {
            fwrite(STDERR, "WPM_TASK_NAME and WPM_KEEPALIVE_ENDPOINT must be set (wpmanager sets them for its workers)\n");
            exit(2);
        }
        $this->task = $task;
        $this->pid = getmypid();
        $this->context = new ZMQContext();
        $this->socket = $this->context->getSocket(ZMQ::SOCKET_PUB);
        $this->socket->connect($endpoint);

        if (function_exists('pcntl_async_signals')) {
            pcntl_async_signals(true);
            $stop = function (): void { $this->stopRequested = true; };
            pcntl_signal(SIGTERM, $stop);
            pcntl_signal(SIGINT, $stop);
        }
    }

    /** One unit of work; $job counts them from 1. */
    abstract protected function work(int $job): void;

    /** Sends one keep-alive; never blocks (a lost one is harmless). */
    public function keepAlive(?string $status = null, ?string $job = null, ?string $message = null): void
    {
        $body = ['taskname' => $this->task, 'pid' => $this->pid];
        if ($status !== null) { $body['status'] = $status; }
        if ($job !== null) { $body['job'] = $job; }
        if ($message !== null) { $body['message'] = $message; }
        try {
            $this->socket->sendmulti([$this->task, json_encode($body)], ZMQ::MODE_DONTWAIT);
        } catch (ZMQSocketException $e) {
            // Not connected yet, or the queue is full: the next one will do.
        }
    }

    /** Works until asked to stop, then returns the exit status. */
    public function run(): int
    {
        $this->keepAlive('ready');
        $job = 0;
        while (!$this->stopRequested) {
            $job++;
            $this->keepAlive('working', (string) $job);
            $this->work($job);
        }
        $this->keepAlive('stopping', (string) $job, "stopped after job $job");
        // Give the last keep-alive up to a second to leave before exiting.
        $this->socket->setSockOpt(ZMQ::SOCKOPT_LINGER, 1000);
        echo "{$this->task} worker {$this->pid} stopping after job $job\n";
        return 0;
    }

    /** Sleeps for $seconds even when a signal arrives meanwhile (usleep would return early). */
    protected static function sleepFully(float $seconds): void
    {
        $end = microtime(true) + $seconds;
        while (($left = $end - microtime(true)) > 0) {
            usleep((int) ($left * 1e6));
        }
    }
}
