#!/usr/bin/env php
<?php
/**
 * Example wpmanager worker in PHP: with "path" pointing at this directory
 * and "filesuffix": "Task.php" (the Go version's layout), it is the task
 * "Example". Copy it and replace work(); see PoolWorker.php.
 */
require_once __DIR__ . '/PoolWorker.php';

final class ExampleTask extends PoolWorker
{
    protected function work(int $job): void
    {
        // Pretend to work for half a second.
        self::sleepFully(0.5);
    }
}

$worker = new ExampleTask();
echo getenv('WPM_TASK_NAME') . " worker " . getmypid() . " started\n";
exit($worker->run());
