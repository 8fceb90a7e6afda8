#!/usr/bin/perl

# Only Azure OpenAI traffic (paths under /openai) is judged: other paths
# in a location with azoai on pass untouched, with no X-AzOAI headers either
# way and no effect on the counters.

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
    azoai_metrics_zone azoai_t15 256k;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;
        azoai_catalog %%CATALOG%%;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location = /metrics {
            azoai_metrics;
        }
    }
EOF
$t->start_upstream->start;

my $body = '{"note":"mail jane.doe@example.com", "seed":9007199254740993}';

my $port = $t->port;
my $r = http_request($port,
    method => 'POST', path => '/healthz/openai/x?api-version=preview',
    headers => [['Content-Type', 'application/json'],
                ['X-AzOAI-PII-Masked', '7']],
    body => $body);

is($r->{status}, 200, 'non-Azure path is proxied');
ok(!grep({ /^x-azoai-/ } keys %{$r->{headers}}),
   'no X-AzOAI headers to the client');

my ($up) = $t->upstream_requests;
is($up && $up->{body}, $body, 'body reaches the upstream unmasked, as sent');
is($up && $up->{headers}{'x-azoai-pii-masked'}, '7',
   'headers the client sent are left alone off the Azure paths');
ok($up && !exists $up->{headers}{'x-azoai-request-id'},
   'no request id added upstream');

$r = http_request($port, method => 'GET', path => '/metrics');
like($r->{body}, qr/^azoai_requests_total\{decision="allow",reason=""\} 0$/m,
     'the non-Azure request is not counted');

# an Azure path in the same location is judged and counted
$r = http_request($port, method => 'GET', path => '/openai/v1/models');
is($r->{headers}{'x-azoai-decision'}, 'allow', 'an /openai path is judged');

$r = http_request($port, method => 'GET', path => '/metrics');
like($r->{body}, qr/^azoai_requests_total\{decision="allow",reason=""\} 1$/m,
     'the Azure request is counted');

$t->error_log_clean;

done_testing;
