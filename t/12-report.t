#!/usr/bin/perl

# azoai_mode report: every would-be denial is forwarded unchanged, marked
# X-AzOAI-Decision: report-deny, and logged with its reason.

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
    log_format azoai '$http_x_test_id decision=$azoai_decision '
                     'reason=$azoai_reason';

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_mode report;
        azoai_pii on;
        azoai_catalog %%CATALOG%%;
        access_log %%DIR%%/azoai.log azoai;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/enforced/ {
            azoai_mode enforce;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $GA = 'api-version=2024-10-21';
my $JSON = [['Content-Type', 'application/json']];
my $CHAT = '"messages":[{"role":"user","content":"hi"}]';

sub classic {
    my ($dep, $query, $body) = @_;
    return { method => 'POST', headers => [@$JSON],
             path => "/openai/deployments/$dep/chat/completions?$query",
             body => $body // "{$CHAT}" };
}

sub v1 {
    my ($body) = @_;
    return { method => 'POST', path => '/openai/v1/chat/completions',
             headers => [@$JSON], body => $body };
}

my @would_deny = (
    [classic('chat-prod', 'api-version=2025-04-01-preview'),
     'PreviewApiVersionBlocked', 'preview api-version'],
    [v1(qq({"model":"chat-preview",$CHAT})),
     'PreviewModelBlocked', 'preview model in the body'],
    [classic('old-chat', $GA), 'RetiredModelBlocked', 'retired model'],
    [classic('nope', $GA), 'UnknownDeployment', 'unknown deployment'],
    [classic('chat-prod', "$GA&$GA"), 'AmbiguousRequest',
     'api-version twice'],
    [v1(qq({"model":"chat-prod",$CHAT,"model":"chat-preview"})),
     'AmbiguousRequest', 'model twice'],
    [v1('{"model":"chat-prod","messages":['), 'InvalidBody',
     'truncated JSON'],
    [{ method => 'GET', path => '/openai/v1/evals',
       headers => [['aoai-evals', 'preview']] },
     'PreviewFeatureBlocked', 'v1 evals'],
);

my $id = 0;

for my $c (@would_deny) {
    my ($req, $code, $name) = @$c;

    $id++;
    push @{$req->{headers}}, ['X-Test-Id', "t$id"];
    $t->expect_allowed($req, "report: $name is forwarded",
                       decision => 'report-deny');
    my $line = $t->access_log_wait(qr/^t$id decision=/, 'azoai.log');
    is($line, "t$id decision=report-deny reason=$code",
       "report: $name is logged with $code");
}

# a request that passes is "allow"
$t->expect_allowed(classic('chat-prod', $GA), 'report: GA request allowed');

# report mode changes no body, even with PII detection on
{
    my $body = qq({"model":"chat-prod","messages":[{"role":"user",)
        . qq("content":"Mail jane.doe\@example.com, card )
        . qq(4111 1111 1111 1111"}]});
    my ($up) = $t->expect_allowed(v1($body),
                                  'report: body with PII forwarded');
    is($up && $up->{body}, $body, 'report: PII body unchanged');
}

# a location may switch back to enforce
$t->expect_denied(classic('enforced', $GA), 403, 'UnknownDeployment',
                  'enforce in a location under a report server');

$t->error_log_clean;

done_testing;
