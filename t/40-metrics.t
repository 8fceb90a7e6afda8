#!/usr/bin/perl

# azoai_metrics_zone / azoai_metrics: counters shared by all workers, in
# Prometheus text format.  Checks the format, then that exactly the series
# README documents moved, each by exactly what was sent (requests by
# decision and reason, masked requests, PII by type, requests and tokens
# by deployment), whichever worker served it, and that no other series
# moved.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_metrics_zone azoai 1m;
    azoai_catalog %%CATALOG%%;
    log_format pids '$pid';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        azoai on;
        azoai_pii on;

        location / {
            access_log %%DIR%%/pids.log pids;
            proxy_pass http://%%UPSTREAM%%;
        }
        location = /metrics {
            azoai_metrics;
        }
    }
EOF
$t->start_upstream->start;

sub scrape {
    my $r = http_request($t->port, method => 'GET', path => '/metrics');
    my %s;

    for my $line (split /\n/, $r->{body} // '') {
        next if $line =~ /^#/ || $line !~ /\S/;
        my ($key, $value) = $line =~ /^(\S+(?:\{[^}]*\})?)\s+(\S+)$/;
        $s{$key} = $value if defined $key;
    }
    return ($r, \%s);
}

my ($r, $before) = scrape();
is($r->{status}, 200, 'metrics answer 200');
like($r->{headers}{'content-type'} // '', qr{^text/plain},
     'Prometheus text format');

my @bad = grep {
    !/^#/ && /\S/
    && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="(\\.|[^"\\])*",?)*\})?
         \s+(-?[0-9.]+([eE][-+]?\d+)?|NaN|[-+]Inf)(\s+-?\d+)?$/x
} split /\n/, $r->{body} // '';
ok(!@bad, 'every sample line parses')
    or diag(join "\n", grep { defined } @bad[0 .. 4]);
ok((grep { /^azoai_/ } keys %$before), 'metric names start with azoai_');

my ($ALLOWED, $DENIED) = (6, 4);
my $chat = '/openai/deployments/%s/chat/completions?api-version=2024-10-21';

for (1 .. $ALLOWED) {
    http_request($t->port, method => 'POST',
        path => sprintf($chat, 'chat-prod'),
        headers => [['Content-Type', 'application/json']],
        body => '{"messages":[{"role":"user","content":'
                . '"mail jane.doe@example.com"}]}');
}
for (1 .. $DENIED) {
    http_request($t->port, method => 'POST',
        path => sprintf($chat, 'chat-preview'),
        headers => [['Content-Type', 'application/json']],
        body => '{"messages":[{"role":"user","content":"hi"}]}');
}

my %pids = map { $_ => 1 } split /\n/, $t->read_file('pids.log') // '';
diag('only one worker served the requests') if keys %pids < 2;

# counters move in the log phase, which may run just after the client
# has its answer (lingering close of a denied, unread body): poll
my ($after, %delta);

for (1 .. 100) {
    ($r, $after) = scrape();
    %delta = map { $_ => ($after->{$_} // 0) - ($before->{$_} // 0) }
             keys %$after;

    my $judged = 0;
    $judged += $delta{$_} for grep { /^azoai_requests_total/ } keys %delta;
    last if $judged >= $ALLOWED + $DENIED;
    select(undef, undef, undef, 0.1);
}

# every series that moved, by exactly how much; nothing else moved
my %want = (
    'azoai_requests_total{decision="allow",reason=""}' => $ALLOWED,
    'azoai_requests_total{decision="deny",reason="PreviewModelBlocked"}'
        => $DENIED,
    'azoai_masked_requests_total' => $ALLOWED,
    'azoai_pii_total{type="email"}' => $ALLOWED,
    'azoai_deployment_requests_total{deployment="chat-prod"}' => $ALLOWED,
    'azoai_deployment_requests_total{deployment="chat-preview"}' => $DENIED,
    'azoai_tokens_total{deployment="chat-prod",kind="prompt"}'
        => 11 * $ALLOWED,
    'azoai_tokens_total{deployment="chat-prod",kind="completion"}'
        => 7 * $ALLOWED,
    'azoai_tokens_total{deployment="chat-prod",kind="total"}'
        => 18 * $ALLOWED,
);

for my $series (sort keys %want) {
    is($delta{$series}, $want{$series},
       "$series moved by $want{$series}");
}
my @other = grep { $delta{$_} && !exists $want{$_} } sort keys %delta;
ok(!@other, 'no other series moved') or diag(join "\n", @other);
is($after->{azoai_deployments_overflow_total}, 0,
   'azoai_deployments_overflow_total is 0');
unlike($r->{body}, qr/jane|example\.com/, 'no PII value in the metrics');

if (!Test::More->builder->is_passing) {
    diag("deltas:\n" . join "\n",
         map { "$_ $delta{$_}" } grep { $delta{$_} } sort keys %delta);
}

$t->error_log_clean;

done_testing;
