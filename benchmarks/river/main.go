// River's throughput on the PostgreSQL server POD_DISPATCHER_POSTGRES_URI names, the
// yardstick of PostgresStore's benchmark (benchmarks/postgres_store_bench.cpp).
//
//	river_bench -workers W [-processes P] [-jobs N] [-csv PATH]
//
// On a fresh schema it lays out River's tables with rivermigrate, inserts N no-op jobs
// with InsertMany, then times River working them from Client.Start until every job's
// completion is committed: in one process whose client runs W workers (-processes 1),
// or in W processes whose clients run one worker each (-processes W). One unit is one
// job fetched (locked and marked running, in a fetch that takes as many jobs as there
// are free workers), worked (a no-op) and completed (marked completed in a batched
// UPDATE of every job finished since the last one: every 50 ms once 100 are waiting,
// else every 250 ms). Prints a RESULT line and appends a row to PATH.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// NoopArgs is the job: nothing to do, so that a unit is River's own work alone.
type NoopArgs struct{}

func (NoopArgs) Kind() string { return "noop" }

type noopWorker struct {
	river.WorkerDefaults[NoopArgs]
}

func (*noopWorker) Work(context.Context, *river.Job[NoopArgs]) error { return nil }

type options struct {
	uri       string
	schema    string // set in a worker process: the parent's schema
	workers   int
	processes int
	jobs      int
	csv       string
}

func main() {
	var o options
	flag.IntVar(&o.workers, "workers", 1, "workers in all")
	flag.IntVar(&o.processes, "processes", 1, "processes sharing the workers: 1, or as many as workers")
	flag.IntVar(&o.jobs, "jobs", 2000, "jobs inserted and worked")
	flag.StringVar(&o.csv, "csv", "", "CSV file to append the result to")
	flag.StringVar(&o.schema, "worker-of", "", "run as a worker process on this schema (internal)")
	flag.Parse()
	o.uri = os.Getenv("POD_DISPATCHER_POSTGRES_URI")
	if o.uri == "" {
		fmt.Println("skipped: set POD_DISPATCHER_POSTGRES_URI to benchmark River")
		return
	}
	var err error
	if o.schema != "" {
		err = workerProcess(o)
	} else {
		err = measure(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "river_bench:", err)
		os.Exit(1)
	}
}

// quietLogger keeps River's routine messages out of the benchmark's output.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// connect opens a pool and makes its first connection, so that no timing pays for it.
func connect(ctx context.Context, uri string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, uri)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// newClient makes a client on schema. With workers > 0 it works the default queue; the
// fetch cooldown is River's least (1 ms; the default, 100 ms, caps a client at one
// fetch per 100 ms), as tuned for throughput.
func newClient(pool *pgxpool.Pool, schema string, workers int) (*river.Client[pgx.Tx], error) {
	config := &river.Config{Schema: schema, Logger: quietLogger()}
	if workers > 0 {
		registry := river.NewWorkers()
		river.AddWorker(registry, &noopWorker{})
		config.Workers = registry
		config.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}}
		config.FetchCooldown = river.FetchCooldownMin
		config.FetchPollInterval = 100 * time.Millisecond
	}
	return river.NewClient(riverpgxv5.New(pool), config)
}

// prepare makes a fresh schema with River's tables and n jobs available in it.
func prepare(ctx context.Context, pool *pgxpool.Pool, n int) (string, error) {
	schema := fmt.Sprintf("river_bench_%d_%08x", os.Getpid(), rand.Uint32())
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", err
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema, Logger: quietLogger()})
	if err != nil {
		return schema, err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return schema, err
	}
	return schema, insertJobs(ctx, pool, schema, n)
}

// insertJobs inserts n no-op jobs through an insert-only client, a thousand at a time.
func insertJobs(ctx context.Context, pool *pgxpool.Pool, schema string, n int) error {
	client, err := newClient(pool, schema, 0)
	if err != nil {
		return err
	}
	for done := 0; done < n; {
		batch := make([]river.InsertManyParams, min(1000, n-done))
		for i := range batch {
			batch[i] = river.InsertManyParams{Args: NoopArgs{}}
		}
		if _, err := client.InsertMany(ctx, batch); err != nil {
			return err
		}
		done += len(batch)
	}
	return nil
}

func measure(o options) error {
	if o.processes != 1 && o.processes != o.workers {
		return errors.New("-processes must be 1 or the number of workers")
	}
	ctx := context.Background()
	pool, err := connect(ctx, o.uri)
	if err != nil {
		return err
	}
	defer pool.Close()
	schema, err := prepare(ctx, pool, o.jobs)
	if schema != "" {
		defer pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA "+schema+" CASCADE")
	}
	if err != nil {
		return err
	}
	var seconds float64
	if o.processes == 1 {
		seconds, err = workInProcess(ctx, pool, schema, o.workers, o.jobs)
	} else {
		seconds, err = workInProcesses(o, schema)
	}
	if err != nil {
		return err
	}
	if err := checkEachJobWorkedOnce(ctx, pool, schema, o.jobs); err != nil {
		return err
	}
	return report(o, seconds)
}

// workInProcess times one client with `workers` workers from Start until n completions
// are committed (River sends a completion event once its batch is written).
func workInProcess(ctx context.Context, pool *pgxpool.Pool, schema string, workers, n int) (float64, error) {
	client, err := newClient(pool, schema, workers)
	if err != nil {
		return 0, err
	}
	completed, cancel := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: n, Kinds: []river.EventKind{river.EventKindJobCompleted}})
	defer cancel()
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		return 0, err
	}
	if err := await(n, completed, nil); err != nil {
		return 0, err
	}
	seconds := time.Since(start).Seconds()
	return seconds, client.Stop(ctx)
}

// await takes n values from done, and fails when a worker ends first (a value on
// ended) or when they take longer than any run of this benchmark should.
func await[T any](n int, done <-chan T, ended <-chan struct{}) error {
	const patience = 5 * time.Minute
	deadline := time.After(patience)
	for got := 0; got < n; got++ {
		select {
		case <-done:
		case <-ended:
			return fmt.Errorf("a worker process ended after %d of %d completions", got, n)
		case <-deadline:
			return fmt.Errorf("%d of %d jobs completed within %s", got, n, patience)
		}
	}
	return nil
}

// workerProcess runs one worker until its standard input closes: it says "ready" once
// connected, starts on "go", and reports each committed completion with a line.
func workerProcess(o options) error {
	ctx := context.Background()
	pool, err := connect(ctx, o.uri)
	if err != nil {
		return err
	}
	defer pool.Close()
	client, err := newClient(pool, o.schema, 1)
	if err != nil {
		return err
	}
	completed, cancel := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: o.jobs, Kinds: []river.EventKind{river.EventKindJobCompleted}})
	defer cancel()
	out := bufio.NewWriter(os.Stdout)
	in := bufio.NewReader(os.Stdin)
	fmt.Fprintln(out, "ready")
	out.Flush()
	if _, err := in.ReadString('\n'); err != nil {
		return err
	}
	if err := client.Start(ctx); err != nil {
		return err
	}
	go func() {
		for range completed {
			fmt.Fprintln(out, "done")
			out.Flush()
		}
	}()
	io.Copy(io.Discard, in)
	return client.Stop(ctx)
}

type worker struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

func startWorker(o options, schema string) (*worker, error) {
	cmd := exec.Command(os.Args[0], "-worker-of", schema, "-jobs", strconv.Itoa(o.jobs))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &worker{cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	if !w.lines.Scan() || w.lines.Text() != "ready" {
		return nil, errors.New("a worker process did not start")
	}
	return w, nil
}

// workInProcesses times o.workers worker processes, each a client with one worker, from
// the "go" sent to all until they have reported o.jobs committed completions between them.
func workInProcesses(o options, schema string) (float64, error) {
	workers := make([]*worker, 0, o.processes)
	defer func() {
		for _, w := range workers {
			w.stdin.Close()
			w.cmd.Wait()
		}
	}()
	for range o.processes {
		w, err := startWorker(o, schema)
		if err != nil {
			return 0, err
		}
		workers = append(workers, w)
	}
	done := make(chan struct{}, o.jobs)
	ended := make(chan struct{}, len(workers))
	start := time.Now()
	for _, w := range workers {
		fmt.Fprintln(w.stdin, "go")
		go func() {
			for w.lines.Scan() {
				done <- struct{}{}
			}
			ended <- struct{}{}
		}()
	}
	if err := await(o.jobs, done, ended); err != nil {
		return 0, err
	}
	return time.Since(start).Seconds(), nil
}

// checkEachJobWorkedOnce is River's side of the invariant check: every job completed,
// at its first attempt.
func checkEachJobWorkedOnce(ctx context.Context, pool *pgxpool.Pool, schema string, n int) error {
	var completed, firstAttempt int
	err := pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE attempt = 1) FROM "+
		schema+".river_job").Scan(&completed, &firstAttempt)
	if err != nil {
		return err
	}
	if completed != n || firstAttempt != n {
		return fmt.Errorf("of %d jobs, %d completed and %d at their first attempt", n, completed, firstAttempt)
	}
	return nil
}

// The columns of the CSV this program and postgres_store_bench append to.
const csvHeader = "system,layout,processes,workers,units,seconds,units_per_second,round_trips_per_dispatch"

// report prints the machine-readable line and appends the CSV row (columns of
// postgres_store_bench's rows).
func report(o options, seconds float64) error {
	rate := float64(o.jobs) / seconds
	layout := "one_client"
	if o.processes > 1 {
		layout = "client_per_process"
	}
	fmt.Printf("RESULT system=river layout=%s processes=%d workers=%d units=%d seconds=%.3f units_per_second=%.1f\n",
		layout, o.processes, o.workers, o.jobs, seconds, rate)
	if o.csv == "" {
		return nil
	}
	file, err := os.OpenFile(o.csv, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if info, statErr := file.Stat(); statErr == nil && info.Size() == 0 {
		fmt.Fprintln(file, csvHeader)
	}
	_, err = fmt.Fprintf(file, "river,%s,%d,%d,%d,%.4f,%.1f,\n", layout, o.processes, o.workers, o.jobs, seconds, rate)
	return errors.Join(err, file.Close())
}
