#!/usr/bin/perl

# The GA policy by route: which requests pass, which are denied with which
# contract code, and that a denied request never reaches the upstream.

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
    azoai_catalog %%CATALOG%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_UNKNOWN%%;
        azoai on;
        azoai_unknown_deployment allow;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_PREVIEW%%;
        azoai on;
        azoai_preview_api allow;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_OVERRIDE%%;
        azoai on;
        azoai_deployment chat-preview gpt-4o 2024-08-06;
        azoai_deployment brand-new gpt-4o-mini 2024-07-18;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_OFF%%;
        azoai off;
        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $GA = 'api-version=2024-10-21';
my $JSON = [['Content-Type', 'application/json']];
my $CHAT = '{"messages":[{"role":"user","content":"Say hi"}]}';

sub classic {
    my ($dep, $op, $query, %o) = @_;
    return {
        method  => 'POST',
        path    => "/openai/deployments/$dep/$op?$query",
        headers => [@$JSON, @{$o{headers} || []}],
        body    => $o{body} // ($op eq 'embeddings' ? '{"input":"hi"}'
                                                    : $CHAT),
        port    => $o{port},
    };
}

sub v1 {
    my ($op, $model, %o) = @_;
    my $body = $o{body} // ($op eq 'responses'
        ? qq({"model":"$model","input":"Say hi"})
        : qq({"model":"$model","messages":[{"role":"user",)
          . qq("content":"Say hi"}]}));
    return {
        method  => 'POST',
        path    => "/openai/v1/$op" . ($o{query} ? "?$o{query}" : ''),
        headers => [@$JSON, @{$o{headers} || []}],
        body    => $body,
        port    => $o{port},
    };
}

sub multipart {
    my ($path, $model, %o) = @_;
    my $b = 'azoaiboundary';
    my $body = "--$b\r\nContent-Disposition: form-data; name=\"model\""
        . "\r\n\r\n$model\r\n--$b\r\nContent-Disposition: form-data; "
        . "name=\"file\"; filename=\"a.wav\"\r\nContent-Type: audio/wav"
        . "\r\n\r\nRIFF0000WAVE\r\n--$b--\r\n";
    return {
        method  => 'POST',
        path    => $path,
        headers => [['Content-Type', "multipart/form-data; boundary=$b"]],
        body    => $body,
        port    => $o{port},
    };
}

# --- allowed: each route family for a GA deployment ----------------------

$t->expect_allowed(classic('chat-prod', 'chat/completions', $GA),
                   'classic chat/completions, GA deployment');
$t->expect_allowed(classic('chat-prod', 'completions',
                           'api-version=2024-06-01',
                           body => '{"prompt":"Say hi"}'),
                   'classic completions, GA api-version 2024-06-01');
$t->expect_allowed(classic('embed-prod', 'embeddings',
                           'api-version=2024-02-01'),
                   'classic embeddings');
$t->expect_allowed(classic('chat-prod', 'chat/completions',
                           "foo=bar&$GA"),
                   'api-version not the first parameter');
$t->expect_allowed(v1('chat/completions', 'chat-prod'),
                   'v1 chat/completions, body model');
$t->expect_allowed(v1('chat/completions', 'chat-mini',
                      query => 'api-version=v1'),
                   'v1 chat/completions ?api-version=v1');
$t->expect_allowed(v1('embeddings', 'embed-prod',
                      body => '{"model":"embed-prod","input":"hi"}'),
                   'v1 embeddings');
$t->expect_allowed(v1('responses', 'chat-prod'), 'v1 responses');
$t->expect_allowed(classic('chat-prod', 'chat/completions', $GA,
                           headers => [['x-ms-spillover-deployment',
                                        'chat-mini']]),
                   'spillover header naming a GA deployment');
$t->expect_allowed({ method => 'GET', path => '/openai/v1/models' },
                   'v1 models (no deployment)');
$t->expect_allowed({ method => 'GET',
                     path => '/openai/v1/realtime?model=realtime-ga' },
                   'v1 realtime ?model= GA deployment');

# --- denied --------------------------------------------------------------

my @denied = (
    # preview api-versions, several spellings
    [classic('chat-prod', 'chat/completions',
             'api-version=2025-04-01-preview'),
     403, 'PreviewApiVersionBlocked', 'preview api-version'],
    [classic('chat-prod', 'chat/completions',
             'api-version=2025-04-01-PREVIEW'),
     403, 'PreviewApiVersionBlocked', 'preview api-version, upper case'],
    [classic('chat-prod', 'chat/completions',
             'api-version=2025-04-01%2Dpreview'),
     403, 'PreviewApiVersionBlocked', 'preview api-version, %2D'],
    [classic('chat-prod', 'chat/completions',
             'api-version=2024-12-01-%70review'),
     403, 'PreviewApiVersionBlocked', 'preview api-version, %70'],
    [classic('embed-prod', 'embeddings',
             'foo=1&api-version=2023-03-15-preview'),
     403, 'PreviewApiVersionBlocked', 'preview api-version, embeddings'],
    [v1('chat/completions', 'chat-prod', query => 'api-version=preview'),
     403, 'PreviewApiVersionBlocked', 'v1 ?api-version=preview'],
    [v1('responses', 'chat-prod', query => 'api-version=PREVIEW'),
     403, 'PreviewApiVersionBlocked', 'v1 responses ?api-version=PREVIEW'],
    [{ method => 'POST', headers => $JSON,
       path => '/openai/responses?api-version=2025-04-01-preview',
       body => '{"model":"chat-prod","input":"hi"}' },
     403, 'PreviewApiVersionBlocked', 'classic responses, preview version'],

    # v1 preview features
    [{ method => 'GET', path => '/openai/v1/evals',
       headers => [['aoai-evals', 'preview']] },
     403, 'PreviewFeatureBlocked', 'v1 evals (aoai-evals header)'],
    [v1('chat/completions', 'chat-prod',
        headers => [['aoai-evals', 'preview']]),
     403, 'PreviewFeatureBlocked', 'aoai-evals header on a GA route'],
    [{ method => 'POST', headers => [['aoai-copy-ft-checkpoints', 'preview']],
       path => '/openai/v1/fine_tuning/jobs/ftjob-1/checkpoints/ckpt-1/copy',
       body => '{"destinationResourceId":"r","region":"eastus"}' },
     403, 'PreviewFeatureBlocked', 'aoai-copy-ft-checkpoints header'],
    [{ method => 'POST', path => '/openai/v1/fine_tuning/alpha/graders/run',
       headers => $JSON, body => '{"grader":{},"model_sample":"x"}' },
     403, 'PreviewFeatureBlocked', 'v1 alpha path segment'],
    [multipart('/openai/v1/audio/transcriptions', 'chat-prod'),
     403, 'PreviewFeatureBlocked', 'v1 audio transcriptions'],

    # models
    [classic('chat-preview', 'chat/completions', $GA),
     403, 'PreviewModelBlocked', 'preview model deployment (path)'],
    [v1('chat/completions', 'chat-preview'),
     403, 'PreviewModelBlocked', 'preview model deployment (v1 body)'],
    [v1('responses', 'chat-preview'),
     403, 'PreviewModelBlocked', 'preview model deployment (responses)'],
    [classic('audio-sneaky', 'chat/completions', $GA),
     403, 'PreviewModelBlocked', 'model named -preview, catalog says ga'],
    [classic('old-chat', 'chat/completions', $GA),
     403, 'RetiredModelBlocked', 'retired model deployment'],
    [v1('chat/completions', 'old-chat'),
     403, 'RetiredModelBlocked', 'retired model deployment (v1 body)'],
    [classic('nope', 'chat/completions', $GA),
     403, 'UnknownDeployment', 'unknown deployment (path)'],
    [v1('chat/completions', 'nope'),
     403, 'UnknownDeployment', 'unknown deployment (v1 body)'],

    # other places that name a deployment
    [classic('chat-prod', 'chat/completions', $GA,
             headers => [['x-ms-spillover-deployment', 'chat-preview']]),
     403, 'PreviewModelBlocked', 'spillover header names a preview dep'],
    [classic('chat-prod', 'chat/completions', $GA,
             headers => [['X-MS-Spillover-Deployment', 'nope']]),
     403, 'UnknownDeployment', 'spillover header names an unknown dep'],
    [v1('responses', 'chat-prod',
        headers => [['x-ms-oai-image-generation-deployment',
                     'image-preview']]),
     403, 'PreviewModelBlocked', 'image-generation header names preview'],
    [{ method => 'GET',
       path => "/openai/realtime?$GA&deployment=rt-preview" },
     403, 'PreviewModelBlocked', 'realtime ?deployment= preview'],
    [{ method => 'GET', path => '/openai/v1/realtime?model=rt-preview' },
     403, 'PreviewModelBlocked', 'v1 realtime ?model= preview'],
    [{ method => 'GET', path => '/openai/v1/realtime?model=nope' },
     403, 'UnknownDeployment', 'v1 realtime ?model= unknown'],
);

for my $d (@denied) {
    my ($req, $status, $code, $name) = @$d;
    $t->expect_denied($req, $status, $code, $name);
}

# a route denial answers at once: no 100 Continue, no body needed
{
    my $body = '{"messages":[{"role":"user","content":"hi"}]}';
    my $req = {
        path => '/openai/deployments/chat-prod/chat/completions'
                . '?api-version=2025-04-01-preview',
        expect_100 => 1,
        parts => ["POST /openai/deployments/chat-prod/chat/completions"
                  . "?api-version=2025-04-01-preview HTTP/1.1\r\n"
                  . "Host: localhost\r\nConnection: close\r\n"
                  . "Content-Type: application/json\r\n"
                  . "Expect: 100-continue\r\n"
                  . "Content-Length: " . length($body) . "\r\n\r\n",
                  $body],
    };
    my $before = $t->upstream_count;
    my $r = $t->request($req);
    is_denial($r, 403, 'PreviewApiVersionBlocked',
              'Expect: 100-continue, route denied');
    ok(!$r->{got_100}, 'no 100 Continue before the denial');
    is($t->upstream_count - $before, 0, 'upstream received nothing');
}

# the error message says what was blocked, and is not the request echoed
{
    my $r = $t->request(classic('chat-preview', 'chat/completions', $GA));
    my $e = (json_decode($r->{body}) || {})->{error} || {};
    like($e->{message} // '', qr/chat-preview|gpt-5-chat|preview/i,
         'message names what was blocked');
    unlike($e->{message} // '', qr/Say hi/, 'message does not echo body');
}

# --- azoai_unknown_deployment allow --------------------------------------

my $up = $t->port('unknown');
$t->expect_allowed(classic('nope', 'chat/completions', $GA, port => $up),
                   'unknown allow: unknown path deployment passes');
$t->expect_allowed(v1('chat/completions', 'nope', port => $up),
                   'unknown allow: unknown body deployment passes');
$t->expect_denied(classic('chat-preview', 'chat/completions', $GA,
                          port => $up),
                  403, 'PreviewModelBlocked',
                  'unknown allow: preview model still denied');
$t->expect_denied(classic('nope', 'chat/completions',
                          'api-version=2025-04-01-preview', port => $up),
                  403, 'PreviewApiVersionBlocked',
                  'unknown allow: preview api-version still denied');

# --- azoai_preview_api allow ---------------------------------------------

my $pp = $t->port('preview');
$t->expect_allowed(classic('chat-prod', 'chat/completions',
                           'api-version=2025-04-01-preview', port => $pp),
                   'preview api allow: preview api-version passes');
$t->expect_allowed(v1('chat/completions', 'chat-prod',
                      query => 'api-version=preview', port => $pp),
                   'preview api allow: v1 ?api-version=preview passes');
$t->expect_allowed({ method => 'GET', path => '/openai/v1/evals',
                     headers => [['aoai-evals', 'preview']], port => $pp },
                   'preview api allow: evals passes');
$t->expect_denied(classic('chat-preview', 'chat/completions',
                          'api-version=2025-04-01-preview', port => $pp),
                  403, 'PreviewModelBlocked',
                  'preview api allow: preview model still denied');
$t->expect_denied(classic('nope', 'chat/completions', $GA, port => $pp),
                  403, 'UnknownDeployment',
                  'preview api allow: unknown deployment still denied');

# --- azoai_deployment overrides the catalog ------------------------------

my $op = $t->port('override');
$t->expect_allowed(classic('chat-preview', 'chat/completions', $GA,
                           port => $op),
                   'azoai_deployment remaps a catalog deployment to GA');
$t->expect_allowed(v1('chat/completions', 'brand-new', port => $op),
                   'azoai_deployment adds a deployment');
$t->expect_denied(classic('old-chat', 'chat/completions', $GA, port => $op),
                  403, 'RetiredModelBlocked',
                  'other catalog deployments unchanged');

# --- azoai off -----------------------------------------------------------

$t->expect_allowed(classic('chat-preview', 'chat/completions',
                           'api-version=2025-04-01-preview',
                           port => $t->port('off')),
                   'azoai off: nothing checked', decision => undef);

$t->error_log_clean;

done_testing;
