#!/usr/bin/perl

# The harness itself, against a plain NGINX (no azoai directives): the
# recording upstream, the clients, reload and the error-log check.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Uncompress::Gunzip qw(gunzip);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(module => undef, workers => 2);

$t->write_conf(<<'EOF');
    upstream backend {
        server %%UPSTREAM%%;
        keepalive 4;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        client_body_buffer_size 1k;

        location / {
            # the defaults before NGINX 1.29.7 (1.1 and keepalive since)
            proxy_http_version 1.0;
            proxy_set_header Connection close;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /ka/ {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://backend;
        }
        location /stream/ {
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $port = $t->port;

# default JSON answer, and the recorded request
my $r = http_request($port, method => 'GET', path => '/openai/models?x=1');
is($r->{status}, 200, 'default answer 200');
like($r->{headers}{'content-type'}, qr{^application/json}, 'json type');
my $j = json_decode($r->{body});
is($j->{usage}{total_tokens}, 18, 'default body has usage');
is($r->{headers}{'x-ms-region'}, 'Sweden Central', 'azure headers');

my @up = $t->upstream_requests;
is(scalar @up, 1, 'one request recorded');
is($up[0]{request_line}, 'GET /openai/models?x=1 HTTP/1.0',
   'request line as sent by nginx');
is($up[0]{headers}{connection}, 'close', 'headers parsed');

# content-length body, byte for byte
my $body = qq({"model":"m", "n":9007199254740993,"s":"\\u00e9\\n"}\n);
my $mark = $t->upstream_count;
$r = http_request($port, method => 'POST', path => '/a', body => $body,
                  headers => [['Content-Type', 'application/json']]);
is($r->{status}, 200, 'POST 200');
@up = $t->upstream_requests($mark);
is(scalar @up, 1, 'POST recorded');
is($up[0]{body}, $body, 'POST body identical');
is($up[0]{headers}{'content-length'}, length $body, 'Content-Length');
like($up[0]{raw}, qr/^POST \/a HTTP\/1\.0\r\n.*\r\n\r\n\Q$body\E\z/s,
     'raw bytes kept');

# chunked request body larger than client_body_buffer_size
my $big = '{"x":"' . ('a' x 70000) . '"}';
$mark = $t->upstream_count;
$r = http_request($port, method => 'POST', path => '/big',
                  chunked => [substr($big, 0, 1000), substr($big, 1000)]);
is($r->{status}, 200, 'chunked POST 200');
@up = $t->upstream_requests($mark);
is($up[0]{body}, $big, 'chunked body arrives de-chunked');
is($up[0]{headers}{'content-length'}, length $big, 'with Content-Length');

# chunked to the upstream (unbuffered, HTTP/1.1)
$mark = $t->upstream_count;
$r = http_request($port, build_request(method => 'POST', path => '/ka/c',
                  chunked => ['{"a":', '1}']));
is($r->{status}, 200, 'keepalive upstream 200');
$r = http_request($port, method => 'GET', path => '/ka/d');
is($r->{status}, 200, 'second request on upstream keepalive');
@up = $t->upstream_requests($mark);
is(scalar @up, 2, 'both recorded');
is($up[0]{version}, 'HTTP/1.1', 'upstream HTTP/1.1');

# Expect: 100-continue
$mark = $t->upstream_count;
$r = http_send_raw($port, expect_100 => 1, parts => [
    "POST /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n", '{"a":1}']);
ok($r->{got_100}, 'got 100 Continue');
is($r->{status}, 200, 'then 200');
is(($t->upstream_requests($mark))[0]{body}, '{"a":1}', 'body after 100');

# slow sender
$mark = $t->upstream_count;
$r = http_send_raw($port, delay => 0.05, parts => [
    "POST /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: 10\r\n\r\n", '{"a"', ':', '1234}']);
is($r->{status}, 200, 'slow sender 200');
is(($t->upstream_requests($mark))[0]{body}, '{"a":1234}',
   'slow body');

# partial body, then the client goes away
$mark = $t->upstream_count;
$r = http_send_raw($port, shutdown => 1, parts => [
    "POST /partial HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
    '{"a":']);
is($t->upstream_count - $mark, 0, 'partial body not forwarded');

# SSE, chunked with a split line
$r = http_request($port, method => 'POST', path => '/stream/chat',
                  headers => [['X-Test-Response', 'sse']], body => '{}');
is($r->{status}, 200, 'sse 200');
like($r->{headers}{'content-type'}, qr{^text/event-stream}, 'sse type');
like($r->{body}, qr/"usage":\{"prompt_tokens":11,"completion_tokens":7,/,
     'usage line reassembled');
like($r->{body}, qr/data: \[DONE\]\n\n\z/, 'ends with [DONE]');
my @events = split /\n\n/, $r->{body};
is(scalar @events, 5, 'five events');

$r = http_request($port, method => 'POST', path => '/chat',
                  headers => [['X-Test-Response', 'sse']], body => '{}');
like($r->{body}, qr/data: \[DONE\]\n\n\z/, 'sse over HTTP/1.0 upstream');

$r = http_request($port, method => 'POST', path => '/stream/responses',
                  headers => [['X-Test-Response', 'sse-responses']],
                  body => '{}');
like($r->{body}, qr/event: response\.completed\ndata: .*"input_tokens":11/,
     'responses stream');

# gzip and error answers
$r = http_request($port, method => 'GET', path => '/g',
                  headers => [['X-Test-Response', 'gzip']]);
is($r->{headers}{'content-encoding'}, 'gzip', 'gzip encoding');
my $plain;
gunzip(\$r->{body} => \$plain);
is(json_decode($plain)->{id}, 'chatcmpl-1', 'gzip body');

$r = http_request($port, method => 'GET', path => '/err',
                  headers => [['X-Test-Response', 'error']]);
is($r->{status}, 404, 'error 404');
is(json_decode($r->{body})->{error}{code}, 'DeploymentNotFound',
   'error code');

# list context
my ($status, $headers, $b) = http_request($port, "GET / HTTP/1.0\r\n\r\n");
is($status, 200, 'raw request, list context');
ok(exists $headers->{'content-length'}, 'headers hash');

# HTTP/2
SKIP: {
    skip 'curl lacks HTTP/2', 3 unless curl_h2_available();
    $mark = $t->upstream_count;
    $r = curl_h2($t->port('h2'), method => 'POST', path => '/h2',
                 headers => [['Content-Type', 'application/json']],
                 body => $body);
    is($r->{status}, 200, 'h2 200');
    is($r->{version}, 'HTTP/2', 'over HTTP/2');
    is(($t->upstream_requests($mark))[0]{body}, $body, 'h2 body');
}

# reload
my @old = $t->worker_pids;
is(scalar @old, 2, 'two workers');
ok($t->reload, 'reloaded');
my %old = map { $_ => 1 } @old;
ok(!(grep { $old{$_} } $t->worker_pids), 'new workers');
is(http_request($port, method => 'GET', path => '/')->{status}, 200,
   'serving after reload');

$t->error_log_clean;

done_testing;
