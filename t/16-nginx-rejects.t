#!/usr/bin/perl

# A request that NGINX itself rejects before the module has judged it
# (client_max_body_size, from Content-Length or while a chunked body is
# read) is logged with no decision, not as "allow", and is not counted;
# the module's own limit answers with its JSON error.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;
$t->write_conf(<<'EOF');
    log_format azoai '$http_x_test_id decision=[$azoai_decision] '
                     'reason=[$azoai_reason] status=$status';

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_catalog %%CATALOG%%;
        client_max_body_size 1k;
        azoai_max_body_size 512;
        access_log %%DIR%%/azoai.log azoai;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /big/ {
            client_max_body_size 64k;
            rewrite ^/big(/.*)$ $1 break;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $path = '/openai/v1/chat/completions';
my $body = '{"model":"chat-prod","messages":[{"role":"user","content":"'
           . ('x' x 2000) . '"}]}';

my $r = http_request($t->port, method => 'POST', path => $path,
    headers => [['Content-Type', 'application/json'], ['X-Test-Id', 't1'],
                ['Connection', 'close']],
    body => $body);

is($r->{status}, 413, 'client_max_body_size answers first');
my $line = $t->access_log_wait(qr/^t1 /, 'azoai.log');
is($line, 't1 decision=[-] reason=[-] status=413',
   'no decision is logged for a request NGINX ended');

$r = http_request($t->port, method => 'POST', path => "/big$path",
    headers => [['Content-Type', 'application/json'], ['X-Test-Id', 't2'],
                ['Connection', 'close']],
    body => $body);

is($r->{status}, 413, 'azoai_max_body_size answers 413');
like($r->{body}, qr/"code":"BodyTooLarge"/, 'with the module\'s JSON error');
$line = $t->access_log_wait(qr/^t2 /, 'azoai.log');
is($line, 't2 decision=[deny] reason=[BodyTooLarge] status=413',
   'and logs its decision');

# chunked bodies (no Content-Length): NGINX's limit fires while the module
# reads the body, the module's own once it has the whole body
my @chunks = map { substr($body, $_ * 500, 500) } 0 .. int(length($body) / 500);

$r = http_request($t->port, method => 'POST', path => $path,
    headers => [['Content-Type', 'application/json'], ['X-Test-Id', 't3'],
                ['Connection', 'close']],
    chunked => \@chunks);
is($r->{status}, 413, 'chunked: client_max_body_size answers first');
unlike($r->{body} // '', qr/"BodyTooLarge"/, 'chunked: with NGINX\'s page');
$line = $t->access_log_wait(qr/^t3 /, 'azoai.log');
is($line, 't3 decision=[-] reason=[-] status=413',
   'chunked: no decision is logged for a request NGINX ended');

$r = http_request($t->port, method => 'POST', path => "/big$path",
    headers => [['Content-Type', 'application/json'], ['X-Test-Id', 't4'],
                ['Connection', 'close']],
    chunked => \@chunks);
is_denial($r, 413, 'BodyTooLarge', 'chunked: azoai_max_body_size answers '
          . 'with the module\'s JSON error');
$line = $t->access_log_wait(qr/^t4 /, 'azoai.log');
is($line, 't4 decision=[deny] reason=[BodyTooLarge] status=413',
   'chunked: and logs its decision');

is($t->upstream_count, 0, 'nothing reached the upstream');

$t->error_log_clean;

done_testing;
