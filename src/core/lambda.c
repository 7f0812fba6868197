/*
 * lambda.c — what AWS Lambda's execution environment looks like, as far
 * as a function can tell.
 *
 * hearth runs Lambda handlers unchanged, so a runtime must find what
 * Lambda gives it: the AWS_LAMBDA_* and LAMBDA_* variables, a region, a
 * /tmp of Lambda's size, CPU in proportion to memory, a request id in
 * UUID form, and failures reported as Lambda reports them — a JSON object
 * with an errorType (Runtime.OutOfMemory, Sandbox.Failure) and an
 * errorMessage that starts "RequestId: ... Error: ...".  Everything here
 * is a pure function of its arguments (and of the host's core count).
 */
#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "inst.h"

#define LAMBDA_MB_PER_CPU	1769	/* memory that buys a whole core */

/* Build the runtime's environment for fn as "KEY=VALUE\n" lines. */
void
lambda_env(const struct fn *fn, const char *id, struct buf *b)
{
	cJSON	*env, *it;

	buf_printf(b, "_HANDLER=%s\n", fn->handler);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_NAME=%s\n", fn->name);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=%d\n", fn->memory_mb);
	buf_printf(b, "AWS_LAMBDA_FUNCTION_VERSION=$LATEST\n");
	buf_printf(b, "AWS_LAMBDA_FUNCTION_TIMEOUT=%d\n", fn->timeout_s);
	buf_printf(b, "AWS_LAMBDA_LOG_STREAM_NAME=%s\n", id);
	buf_printf(b, "AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/%s\n", fn->name);
	buf_printf(b, "AWS_REGION=local\nAWS_DEFAULT_REGION=local\n");
	buf_printf(b, "LAMBDA_TASK_ROOT=/var/task\nLAMBDA_RUNTIME_DIR=/opt/hearth\n");
	buf_printf(b, "PATH=/usr/local/bin:/usr/bin:/bin\nLANG=C.UTF-8\nTZ=:UTC\n");
	buf_printf(b, "HOME=/tmp\nPYTHONUNBUFFERED=1\nPYTHONDONTWRITEBYTECODE=1\n");
	if ((env = cJSON_Parse(fn->env)) != NULL) {
		cJSON_ArrayForEach(it, env)
			if (cJSON_IsString(it))
				buf_printf(b, "%s=%s\n", it->string, it->valuestring);
		cJSON_Delete(env);
	}
}

/*
 * CPU for a memory size, as Lambda allots it: one core up to 1,769 MB,
 * then in proportion (a sandbox's quota, a microVM's vCPUs), never more
 * than the host has.
 */
int
lambda_cpu_milli(int memory_mb)
{
	long	cores = sysconf(_SC_NPROCESSORS_ONLN), milli;

	milli = (long)memory_mb * 1000 / LAMBDA_MB_PER_CPU;
	if (milli < 1000)
		milli = 1000;
	if (cores > 0 && milli > cores * 1000)
		milli = cores * 1000;
	return (int)milli;
}

/* Write a new random (version 4) UUID to out, which holds 37 bytes. */
void
lambda_request_id(char *out)
{
	char	hex[33];

	util_random_hex(hex, sizeof hex);
	hex[12] = '4';				/* version 4 */
	hex[16] = "89ab"[hex[16] % 4];		/* RFC 4122 variant */
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

/*
 * Return a Lambda error body, {"errorType": type, "errorMessage":
 * message}, as a new string; its length goes to *lenp.
 */
char *
lambda_error(const char *type, const char *message, size_t *lenp)
{
	struct buf	b = { 0 };

	buf_addstr(&b, "{\"errorType\": ");
	esc_json_string(&b, type, strlen(type));
	buf_addstr(&b, ", \"errorMessage\": ");
	esc_json_string(&b, message, strlen(message));
	buf_addstr(&b, "}");
	*lenp = b.len;
	return b.data;
}

/* Return the error body of an invocation killed for using over memory_mb. */
char *
lambda_oom_error(const char *request_id, int memory_mb, size_t *lenp)
{
	char	*msg, *body;

	msg = xasprintf("RequestId: %s Error: Runtime exited with error: "
	    "signal: killed (out of memory: the function used more than its "
	    "%d MB)", request_id, memory_mb);
	body = lambda_error("Runtime.OutOfMemory", msg, lenp);
	free(msg);
	return body;
}
