#!/usr/bin/perl

# conf.example/grafana-dashboard.json cannot rot: every PromQL query in
# it names a series that the module's azoai_metrics page really exports
# (read from a running NGINX after allowed, denied, masked and
# token-counted requests), groups and filters by labels those series
# carry, with decision values the module writes; and every exported
# series has a panel.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;
my $file = "$FindBin::Bin/../conf.example/grafana-dashboard.json";

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_metrics_zone azoai 1m;
    azoai_catalog %%CATALOG%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location = /metrics {
            azoai_metrics;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_REPORT%%;
        azoai on;
        azoai_mode report;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $Q = '?api-version=2024-10-21';
my $CHAT = "/openai/deployments/chat-prod/chat/completions$Q";
my $PREVIEW = "/openai/deployments/chat-preview/chat/completions$Q";
my @JSON = (headers => [['Content-Type', 'application/json']]);

http_request($t->port, method => 'POST', path => $CHAT, @JSON,
             body => '{"messages":[{"role":"user",'
                     . '"content":"mail jane.doe@example.com"}]}');
http_request($t->port, method => 'POST', path => $PREVIEW, @JSON,
             body => '{}');
http_request($t->port('report'), method => 'POST', path => $PREVIEW, @JSON,
             body => '{}');

my $m = http_request($t->port, method => 'GET', path => '/metrics');
is($m->{status}, 200, 'metrics scraped');

# exported series and the labels of their samples
my (%series, %labels, %values);
for my $line (split /\n/, $m->{body} // '') {
    $series{$1} = 1 if $line =~ /^# TYPE (\w+) /;
    next unless $line =~ /^(\w+)(?:\{(.*)\})? \S+$/;
    my ($name, $l) = ($1, $2 // '');
    while ($l =~ /(\w+)="([^"]*)"/g) {
        $labels{$name}{$1} = 1;
        $values{$name}{$1}{$2} = 1;
    }
}
ok(scalar keys %series >= 5, 'the page exports series')
    or diag($m->{body});

open my $fh, '<:raw', $file or die "$file: $!";
my $dash = json_decode(do { local $/; <$fh> });
close $fh;
ok(ref $dash eq 'HASH' && ref $dash->{panels} eq 'ARRAY',
   'the dashboard is JSON with panels');

my %func = map { $_ => 1 } qw(sum rate increase irate avg max min count by
    without on ignoring group_left group_right topk bottomk histogram_quantile
    label_values and or unless offset bool clamp_min clamp_max);

my (%used, @problems, $queries);
for my $panel (@{$dash->{panels} || []}) {
    for my $target (@{$panel->{targets} || []}) {
        my $expr = $target->{expr} // next;
        $queries++;
        my @names;
        my $e = $expr;
        # selectors with their matchers
        while ($e =~ /\b([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g) {
            my ($name, $matchers) = ($1, $2);
            push @names, $name;
            while ($matchers =~ /(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g) {
                my ($l, $op, $v) = ($1, $2, $3);
                next if $l eq 'instance' || $l eq 'job';
                push @problems, "$panel->{title}: $name has no label $l"
                    unless $labels{$name}{$l};
                push @problems, "$panel->{title}: $name $l=\"$v\" is "
                    . "not a value the module writes"
                    if $l eq 'decision' && $op eq '='
                       && !grep { $_ eq $v } qw(allow deny report-deny);
            }
        }
        # grouping labels must be labels of the series grouped
        while ($e =~ /\b(?:by|without)\s*\(([^)]*)\)/g) {
            for my $l (split /\s*,\s*/, $1) {
                push @problems, "$panel->{title}: no series of "
                    . join(',', @names) . " has label $l"
                    unless grep { $labels{$_}{$l} } @names;
            }
        }
        # bare metric names too
        (my $bare = $e) =~ s/\{[^}]*\}|\[[^\]]*\]|"[^"]*"//g;
        $bare =~ s/\b(?:by|without)\s*\([^)]*\)//g;
        push @names, grep { !$func{$_} && !/^\d/ }
            $bare =~ /\b([a-zA-Z_:][\w:]*)\b/g;
        for my $name (@names) {
            $used{$name} = 1;
            push @problems, "$panel->{title}: $name is not exported"
                unless $series{$name};
        }
        push @problems, "$panel->{title}: query names no series"
            unless @names;
    }
}

ok($queries >= 10, "the dashboard has queries ($queries)");
ok(!@problems, 'every query names exported series and labels')
    or diag(join "\n", @problems);
my @unused = grep { !$used{$_} } sort keys %series;
ok(!@unused, 'every exported series has a panel')
    or diag("no panel: @unused");

# the panels the operators asked for
my %titles = map { $_->{title} => 1 } @{$dash->{panels}};
for my $want ('Decisions by reason', 'Denials by code', 'PII found by type',
              'Tokens by deployment', 'Token-limit rejections')
{
    ok($titles{$want}, "panel '$want'");
}
ok($values{azoai_requests_total}{decision}{'report-deny'},
   'report-deny is a decision value on the page');

$t->error_log_clean;

done_testing;
