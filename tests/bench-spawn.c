/*
 * bench-spawn.c — time N runs of a command (fork, exec, wait) and print
 * p50 and p99 in microseconds: the baselines `make bench` sets hearth's
 * figures against.  Usage: bench-spawn N COMMAND [ARGS...]
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	double	*t, t0;
	int	 n, i, st, null;
	pid_t	 pid;

	if (argc < 3 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: bench-spawn N COMMAND [ARGS...]\n");
		return 2;
	}
	t = calloc(n, sizeof *t);
	null = open("/dev/null", O_WRONLY);
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if ((pid = fork()) == 0) {
			dup2(null, 1);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		waitpid(pid, &st, 0);
		t[i] = now_us() - t0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "bench-spawn: %s failed\n", argv[2]);
			return 1;
		}
	}
	qsort(t, n, sizeof *t, cmp);
	printf("p50 %.0f µs  p99 %.0f µs\n", t[n / 2], t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
	return 0;
}
